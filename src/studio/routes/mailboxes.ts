/** Mailboxes, their folders and email: browsing, and the mail actions of the application services. */
import { Hono } from 'hono';
import { NotFoundError } from '../../domain/errors.js';
import type { MailService } from '../../application/mail-service.js';
import type { MailboxService } from '../../application/mailbox-service.js';
import type { MailboxView } from '../../application/views.js';
import {
  type Operations,
  type StudioContext,
  type StudioEnv,
  operation,
  pageContext,
  param,
  params,
  perform,
  splitList,
  takeRefusal,
  performDeletion,
} from '../context.js';
import { bytes } from '../components/format.js';
import type { StudioQueries } from '../queries.js';
import { unicodeAddress } from '../unicode.js';
import { emailPage, folderPage } from '../views/email.js';
import { mailboxPage, mailboxesPage } from '../views/mailboxes.js';

const mailboxOperations: Operations<(mailboxes: MailboxService, actor: string, id: string) => Promise<MailboxView>> = {
  suspend: (mailboxes, actor, id) => mailboxes.suspend(actor, id),
  activate: (mailboxes, actor, id) => mailboxes.activate(actor, id),
};

/** What an action on one email acts on: the posted form, the services, and the email's page. */
interface EmailAction {
  mail: MailService;
  queries: StudioQueries;
  actor: string;
  mailboxId: string;
  emailId: string;
  values: Record<string, string>;
  /** The email's own page, where most actions return. */
  view: string;
}

type EmailOperation = (a: EmailAction) => Promise<{ notice: string; location: string }>;

const setFlag =
  (flag: 'flagged' | 'seen', value: boolean, notice: string): EmailOperation =>
  async (a) => {
    await a.mail.flag(a.actor, a.mailboxId, a.emailId, { [flag]: value });
    return { notice, location: a.view };
  };

const emailOperations: Operations<EmailOperation> = {
  flag: setFlag('flagged', true, 'Flagged.'),
  unflag: setFlag('flagged', false, 'Unflagged.'),
  seen: setFlag('seen', true, 'Marked as read.'),
  unseen: setFlag('seen', false, 'Marked as unread.'),
  move: async (a) => {
    const moved = await a.mail.move(a.actor, a.mailboxId, a.emailId, a.values.folder ?? '');
    const mailbox = await a.queries.getMailbox(a.mailboxId);
    const path = mailbox.folderRows.find((f) => f.id === moved.folderId)?.path ?? 'the folder';
    return { notice: `Moved to ${path}.`, location: a.view };
  },
  trash: async (a) => {
    const before = await a.queries.getEmail(a.mailboxId, a.emailId);
    await a.mail.trash(a.actor, a.mailboxId, a.emailId);
    return { notice: 'Moved to Trash.', location: `/mailboxes/${a.mailboxId}/folders/${before.folderId}` };
  },
};

const mailboxPath = (c: StudioContext) => `/mailboxes/${c.req.param('id')}`;
const emailPath = (c: StudioContext) => `/mailboxes/${c.req.param('id')}/email/${c.req.param('emailId')}`;

async function renderMailbox(c: StudioContext, id: string) {
  const { queries } = c.var.studio;
  const refusal = takeRefusal(c);
  const mailbox = await queries.getMailbox(id);
  return mailboxPage(pageContext(c), mailbox, await queries.actorChoices([mailbox.ownerId]), refusal);
}

async function renderEmail(c: StudioContext, mailboxId: string, emailId: string) {
  const { queries } = c.var.studio;
  const refusal = takeRefusal(c);
  const email = await queries.getEmail(mailboxId, emailId);
  const mailbox = await queries.getMailbox(mailboxId);
  return emailPage(pageContext(c), email, mailbox, await queries.actorChoices([email.ownerId]), refusal);
}

export const mailboxRoutes = new Hono<StudioEnv>()
  .get('/', async (c) => {
    const { queries } = c.var.studio;
    const query = params(c, 'q', 'domain', 'status', 'after');
    const domain = query.domain ? await queries.getDomain(query.domain) : undefined;
    return c.html(mailboxesPage(pageContext(c), await queries.listMailboxes(query), query, domain?.displayName));
  })
  .get('/:id', async (c) => c.html(await renderMailbox(c, c.req.param('id'))))
  .post('/:id', (c) =>
    perform(
      c,
      'mailbox-op',
      async (v) => {
        const run = operation(mailboxOperations, v.op);
        const mailbox = await run(c.var.studio.aether.mailboxes, v.actor ?? '', c.req.param('id'));
        return {
          notice: `${unicodeAddress(mailbox.address)} is now ${mailbox.status}.`,
          location: `/mailboxes/${mailbox.id}`,
        };
      },
      mailboxPath(c),
    ),
  )
  .post('/:id/delete', (c) =>
    performDeletion(c, {
      form: 'delete-mailbox',
      what: 'delete the mailbox',
      load: () => c.var.studio.queries.getMailbox(c.req.param('id')),
      remove: (actor, mailbox) => c.var.studio.aether.mailboxes.delete(actor, mailbox.id),
      done: (mailbox) => ({
        notice: `Deleted the mailbox ${mailbox.address} with its folders and email.`,
        location: `/domains/${mailbox.domainId}`,
      }),
      back: mailboxPath(c),
    }),
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
        const delivered = report.delivered.map((d) => unicodeAddress(d.address));
        const notice =
          `Delivered to ${delivered.join(', ') || 'no local mailbox'}.` +
          (report.forwarded.length
            ? ` Forwarded (for the outbound relay) to ${report.forwarded.map(unicodeAddress).join(', ')}.`
            : '');
        const here = c.req.param('id');
        const mailbox = await c.var.studio.queries.getMailbox(here);
        const inbox = mailbox.folderRows.find((f) => f.role === 'inbox');
        const location =
          report.delivered.some((d) => d.mailboxId === mailbox.id) && inbox
            ? `/mailboxes/${here}/folders/${inbox.id}`
            : `/mailboxes/${here}`;
        return { notice, location };
      },
      mailboxPath(c),
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
        const [mailboxId, emailId] = [c.req.param('id'), c.req.param('emailId')];
        const run = operation(emailOperations, v.op);
        return run({
          mail: c.var.studio.aether.mail,
          queries: c.var.studio.queries,
          actor: v.actor ?? '',
          mailboxId,
          emailId,
          values: v,
          view: `/mailboxes/${mailboxId}/email/${emailId}`,
        });
      },
      emailPath(c),
    ),
  )
  .post('/:id/email/:emailId/purge', (c) =>
    performDeletion(c, {
      form: 'purge-email',
      what: 'delete the message for good',
      load: () => c.var.studio.queries.getEmail(c.req.param('id'), c.req.param('emailId')),
      remove: (actor, email) => c.var.studio.aether.mail.purge(actor, email.mailboxId, email.id),
      done: (email) => ({
        notice: `Deleted for good; ${bytes(email.sizeBytes)} of quota freed.`,
        location: `/mailboxes/${email.mailboxId}/folders/${email.folderId}`,
      }),
      back: emailPath(c),
    }),
  );
