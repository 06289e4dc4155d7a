/**
 * Pages of email, newest first, by keyset: the mail service's folder page (compiled once: see
 * CompiledQuery) and the studio's email list over any filter. Both order by (received_at, id)
 * and continue after a cursor with one row comparison: PostgreSQL seeks to it in
 * email_folder_page_index, where the equivalent `a < x or (a = x and b < y)` reads and discards
 * every newer row first.
 */
import type { EntityManager, QBFilterQuery } from '@mikro-orm/postgresql';
import type { FolderPageQuery } from '../../../application/read-models.js';
import type { EmailPosition } from '../../../application/keyset-cursor.js';
import type { EmailSummary } from '../../../application/views.js';
import { Email } from '../../../domain/email.js';
import { CompiledQuery, type Placeholders } from './compiled-query.js';

/** What a page reads of an email (never the body). */
const PAGE_FIELDS = [
  'mailbox',
  'id',
  'folder',
  'threadId',
  'messageId',
  'subject',
  'fromAddress',
  'toAddresses',
  'ccAddresses',
  'sizeBytes',
  'seen',
  'flagged',
  'answered',
  'draft',
  'deleted',
  'receivedAt',
] as const;

interface PageRow {
  mailbox: string;
  id: string;
  folder: string;
  threadId: string;
  messageId: string;
  subject: string;
  fromAddress: string;
  toAddresses: string[];
  ccAddresses: string[];
  sizeBytes: number;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
  deleted: boolean;
  receivedAt: Date | string;
}

/** Email matching `where`, newest first, at most `limit` of them. */
function newestFirst(em: EntityManager, where: QBFilterQuery<Email, 'e'>, limit: number) {
  return em
    .createQueryBuilder(Email, 'e')
    .select(PAGE_FIELDS)
    .where(where)
    .orderBy([{ receivedAt: 'desc' }, { id: 'desc' }])
    .limit(limit);
}

/** Only the email older than the keyset position (one row comparison). */
function olderThan<Q extends { andWhere(sql: string, params: unknown[]): Q }>(qb: Q, after: EmailPosition): Q {
  return qb.andWhere('(e.received_at, e.id) < (?, ?)', [after.receivedAt, after.id]);
}

type FolderArgs = { mailboxId: string; folderId: string; actingUserId: string; limit: number };

function folderPageQuery(em: EntityManager, p: Placeholders<FolderArgs>) {
  return newestFirst(
    em,
    {
      mailbox: p.text('mailboxId'),
      folder: [p.text('mailboxId'), p.text('folderId')],
      user: { id: p.text('actingUserId'), status: 'active' },
    },
    p.number('limit'),
  );
}

const FIRST_PAGE = new CompiledQuery(Email, folderPageQuery);

const PAGE_AFTER = new CompiledQuery(
  Email,
  (em, p: Placeholders<FolderArgs & { afterReceivedAt: Date; afterId: string }>) =>
    olderThan(folderPageQuery(em, p), { receivedAt: p.date('afterReceivedAt'), id: p.text('afterId') }),
);

/** One folder's page; ownership and the actor's being active are part of the filter. */
export async function folderPage(em: EntityManager, query: FolderPageQuery): Promise<EmailSummary[]> {
  const { after, ...args } = query;
  // a page is read, never changed: rows are mapped straight to summaries, not hydrated into entities
  const rows = after
    ? await PAGE_AFTER.all<PageRow>(em, { ...args, afterReceivedAt: after.receivedAt, afterId: after.id })
    : await FIRST_PAGE.all<PageRow>(em, args);
  return rows.map(toPageSummary);
}

export interface EmailListRow extends EmailSummary {
  mailboxAddress: string;
  folderPath: string;
}

/** Email matching any filter, newest first, with its mailbox's address and folder's path. */
export async function emailPage(
  em: EntityManager,
  where: QBFilterQuery<Email, 'e'>,
  page: { limit: number; after?: EmailPosition | undefined },
): Promise<EmailListRow[]> {
  const qb = newestFirst(em, where, page.limit)
    .join('e.mailbox', 'm')
    .join('e.folder', 'f')
    .addSelect(['m.address as mailbox_address', 'f.path as folder_path']);
  // the root's columns arrive mapped to its properties; the joined ones as PostgreSQL sent them
  const rows = await (page.after ? olderThan(qb, page.after) : qb).execute<
    (PageRow & { mailbox_address: string; folder_path: string })[]
  >('all');
  return rows.map((r) => ({ ...toPageSummary(r), mailboxAddress: r.mailbox_address, folderPath: r.folder_path }));
}

function toPageSummary(r: PageRow): EmailSummary {
  return {
    id: r.id,
    mailboxId: r.mailbox,
    folderId: r.folder,
    threadId: r.threadId,
    messageId: r.messageId,
    subject: r.subject,
    from: r.fromAddress,
    to: [...r.toAddresses],
    cc: [...r.ccAddresses],
    sizeBytes: r.sizeBytes,
    flags: { seen: r.seen, flagged: r.flagged, answered: r.answered, draft: r.draft, deleted: r.deleted },
    receivedAt: r.receivedAt instanceof Date ? r.receivedAt : new Date(r.receivedAt),
  };
}
