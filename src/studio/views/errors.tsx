import { Card } from '../components/details.js';
import { PostForm, Submit } from '../components/form.js';
import { BarePage, Layout, type PageContext } from '../components/layout.js';

/** A refusal before a session exists: no data, no links into the studio. */
export const barePage = (title: string, message: string, status: string) => (
  <BarePage title={title} message={message} status={status} />
);

/** Not signed in: what the studio is, and the two ways in. */
export const signInPage = (message: string) => (
  <BarePage title="Not signed in" message={message} status="401">
    <p>To get in:</p>
    <ul>
      <li>
        Open the link the studio printed in its terminal when it started (<code>npm run studio</code>): it looks like{' '}
        <code>http://127.0.0.1:5555/?token=…</code> and works once.
      </li>
      <li>
        Or, in a browser that is signed in already, follow <strong>Let another browser in</strong> (at the foot of every
        page) for a new one-time link, and open that link here.
      </li>
    </ul>
  </BarePage>
);

/** A new one-time sign-in link for another browser, made on request and shown once. */
export const accessPage = (ctx: PageContext, link: string | null) => (
  <Layout ctx={ctx} title="Let another browser in" section="dashboard">
    <Card>
      {link ? (
        <>
          <p>Open this link in the other browser. It works once, and only on this computer:</p>
          <code class="issued-link" data-testid="issued-link">
            {link}
          </code>
          <p class="hint">It is shown only now; make another one when you need it.</p>
        </>
      ) : (
        <p>
          Another browser (or a private window) needs a link of its own: each sign-in link works once. Make a new one
          here; this browser stays signed in.
        </p>
      )}
      <PostForm ctx={ctx} action="/access" name="issue-link">
        <Submit class="primary">Make a sign-in link</Submit>
      </PostForm>
    </Card>
  </Layout>
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
