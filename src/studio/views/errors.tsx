import { Card } from '../components/details.js';
import { BarePage, Layout, type PageContext } from '../components/layout.js';

/** A refusal before a session exists: no data, no links into the studio. */
export const barePage = (title: string, message: string, status: string) => (
  <BarePage title={title} message={message} status={status} />
);

/** An error inside a session: the studio's frame, the message and the way back. */
export const errorPage = (ctx: PageContext, title: string, message: string) => (
  <Layout ctx={ctx} title={title} section="dashboard">
    <Card>
      <p>{message}</p>
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </Card>
  </Layout>
);
