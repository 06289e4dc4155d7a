/** Mailboxes, their folders and email: browsing, and the mail actions of the application services. */
import { Hono } from 'hono';
import { NotFoundError } from '../../domain/errors.js';
import {
  type Refusal,
  type StudioContext,
  type StudioEnv,
  pageContext,
  param,
  perform,
  splitList,
  unknownOperation,
} from '../context.js';
import { emailPage, folderPage } from '../views/email.js';
import { mailboxPage, mailboxesPage } from '../views/mailboxes.js';

async function renderMailbox(c: StudioContext, id: string, refusal?: Refusal) {
  const { queries } = c.var.studio;
  const mailbox = await queries.getMailbox(id);
  return mailboxPage(pageContext(c), mailbox, await queries.actorChoices([mailbox.ownerId]), refusal);
}

async function renderEmail(c: StudioContext, mailboxId: string, emailId: string, refusal?: Refusal) {
  const { queries } = c.var.studio;
  const email = await queries.getEmail(mailboxId, emailId);
  const mailbox = await queries.getMailbox(mailboxId);
  return emailPage(pageContext(c), email, mailbox, await queries.actorChoices([email.ownerId]), refusal);
}

export const mailboxRoutes = new Hono<StudioEnv>()
  .get('/', async (c) => {
    const { queries } = c.var.studio;
    const query = {
      q: param(c, 'q'),
      domain: param(c, 'domain'),
      status: param(c, 'status'),
      after: param(c, 'after'),
    };
    const domain = query.domain ? await queries.getDomain(query.domain) : undefined;
    return c.html(mailboxesPage(pageContext(c), await queries.listMailboxes(query), query, domain?.name));
  })
  .get('/:id', async (c) => c.html(await renderMailbox(c, c.req.param('id'))))
  .post('/:id', (c) =>
    perform(
      c,
      'mailbox-op',
      async (v) => {
        const { mailboxes } = c.var.studio.aether;
        const [actor, id] = [v.actor ?? '', c.req.param('id')];
        const mailbox =
          v.op === 'suspend'
            ? await mailboxes.suspend(actor, id)
            : v.op === 'activate'
              ? await mailboxes.activate(actor, id)
              : unknownOperation(v.op);
        return { notice: `${mailbox.address} is now ${mailbox.status}.`, location: `/mailboxes/${mailbox.id}` };
      },
      (refusal) => renderMailbox(c, c.req.param('id'), refusal),
    ),
  )
  .post('/:id/deliver', (c) =>
    perform(
      c,
      'deliver',
      async (v) => {
        const recipients = splitList(v.to);
        const report = await c.var.studio.aether.mail.deliverInbound({
          recipients,
          message: { from: v.from ?? '', to: recipients, subject: v.subject ?? '', body: v.body ?? '' },
        });
        const delivered = report.delivered.map((d) => d.address);
        const notice =
          `Delivered to ${delivered.join(', ') || 'no local mailbox'}.` +
          (report.forwarded.length ? ` Forwarded (for the outbound relay) to ${report.forwarded.join(', ')}.` : '');
        const here = c.req.param('id');
        const mailbox = await c.var.studio.queries.getMailbox(here);
        const inbox = mailbox.folderRows.find((f) => f.role === 'inbox');
        const location =
          report.delivered.some((d) => d.mailboxId === mailbox.id) && inbox
            ? `/mailboxes/${here}/folders/${inbox.id}`
            : `/mailboxes/${here}`;
        return { notice, location };
      },
      (refusal) => renderMailbox(c, c.req.param('id'), refusal),
    ),
  )
  .get('/:id/folders/:folderId', async (c) => {
    const { queries } = c.var.studio;
    const mailbox = await queries.getMailbox(c.req.param('id'));
    const folder = mailbox.folderRows.find((f) => f.id === c.req.param('folderId').toLowerCase());
    if (!folder) throw new NotFoundError('folder');
    const query = {
      q: param(c, 'q'),
      unread: c.req.query('unread') === '1',
      flagged: c.req.query('flagged') === '1',
      after: param(c, 'after'),
    };
    const page = await queries.listEmail({ ...query, mailbox: mailbox.id, folder: folder.id });
    return c.html(folderPage(pageContext(c), mailbox, folder, page, query));
  })
  .get('/:id/email/:emailId', async (c) => c.html(await renderEmail(c, c.req.param('id'), c.req.param('emailId'))))
  .post('/:id/email/:emailId', (c) =>
    perform(
      c,
      'email-op',
      async (v) => {
        const { mail } = c.var.studio.aether;
        const [actor, mailboxId, emailId] = [v.actor ?? '', c.req.param('id'), c.req.param('emailId')];
        const view = `/mailboxes/${mailboxId}/email/${emailId}`;
        switch (v.op) {
          case 'flag':
          case 'unflag':
            await mail.flag(actor, mailboxId, emailId, { flagged: v.op === 'flag' });
            return { notice: v.op === 'flag' ? 'Flagged.' : 'Unflagged.', location: view };
          case 'seen':
          case 'unseen':
            await mail.flag(actor, mailboxId, emailId, { seen: v.op === 'seen' });
            return { notice: v.op === 'seen' ? 'Marked as read.' : 'Marked as unread.', location: view };
          case 'move': {
            const moved = await mail.move(actor, mailboxId, emailId, v.folder ?? '');
            const mailbox = await c.var.studio.queries.getMailbox(mailboxId);
            const path = mailbox.folderRows.find((f) => f.id === moved.folderId)?.path ?? 'the folder';
            return { notice: `Moved to ${path}.`, location: view };
          }
          case 'trash': {
            const before = await c.var.studio.queries.getEmail(mailboxId, emailId);
            await mail.trash(actor, mailboxId, emailId);
            return { notice: 'Moved to Trash.', location: `/mailboxes/${mailboxId}/folders/${before.folderId}` };
          }
          default:
            return unknownOperation(v.op);
        }
      },
      (refusal) => renderEmail(c, c.req.param('id'), c.req.param('emailId'), refusal),
    ),
  );
