import { Hono } from 'hono';
import { type StudioEnv, pageContext, param } from '../context.js';
import { emailSearchPage } from '../views/email.js';

/** All email, newest first, searchable by subject and sender. */
export const emailRoutes = new Hono<StudioEnv>().get('/', async (c) => {
  const { queries } = c.var.studio;
  const query = {
    q: param(c, 'q'),
    mailbox: param(c, 'mailbox'),
    unread: c.req.query('unread') === '1',
    flagged: c.req.query('flagged') === '1',
    after: param(c, 'after'),
  };
  const mailbox = query.mailbox ? await queries.getMailbox(query.mailbox) : undefined;
  return c.html(emailSearchPage(pageContext(c), await queries.listEmail(query), query, mailbox?.address));
});
