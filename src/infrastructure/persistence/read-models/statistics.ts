/** Figures for dashboards and reports: the database counts, nothing is loaded to be counted. */
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EmailCount, FolderTotals, UserTotals } from '../../../application/read-models.js';
import { Alias } from '../../../domain/alias.js';
import { Domain } from '../../../domain/domain.js';
import { Email } from '../../../domain/email.js';
import { Folder } from '../../../domain/folder.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { User } from '../../../domain/user.js';
import { sqlTable } from '../../../application/sql-table.js';
import { readRows } from '../../../application/sql-table.js';

interface TotalsRow {
  emails: number;
  unread: number;
  bytes: string;
}

const TOTALS = [
  raw('count(*)::int as emails'),
  raw('(count(*) filter (where not seen))::int as unread'),
  raw('coalesce(sum(size_bytes), 0)::bigint as bytes'),
];

export async function userTotals(em: EntityManager, userId: string): Promise<UserTotals> {
  const domains = await em.count(Domain, { owner: userId });
  const mailboxes = await em.count(Mailbox, { domain: { owner: userId } });
  const aliases = await em.count(Alias, { domain: { owner: userId } });
  const totals = await em
    .createQueryBuilder(Email)
    .select(TOTALS)
    .where({ user: userId })
    .execute<TotalsRow>('get', false);
  return { domains, mailboxes, aliases, emails: totals.emails, storageBytes: Number(totals.bytes) };
}

export async function folderTotals(em: EntityManager, mailboxId: string): Promise<Map<string, FolderTotals>> {
  const rows = await em
    .createQueryBuilder(Email)
    .select([raw('folder_id'), ...TOTALS])
    .where({ mailbox: mailboxId })
    .groupBy(raw('folder_id'))
    .execute<(TotalsRow & { folder_id: string })[]>('all', false);
  return new Map(rows.map((r) => [r.folder_id, { emails: r.emails, unread: r.unread, bytes: Number(r.bytes) }]));
}

/**
 * Email count per user, read from the folders' maintained counters (folder.message_count, exact and
 * kept in the unit of work that writes the email): one query whose cost grows with folders (users),
 * not with email. Users whose folders hold no email are left out, as a count over email would.
 * Written as SQL, so it names its tables with their schema (the application's connections do not
 * put `?schema=` on their search path).
 */
export async function emailCountsPerUser(em: EntityManager): Promise<EmailCount[]> {
  const rows = await readRows<{ user_id: string; email: string; emails: number }>(
    em,
    `select u.id as user_id, u.email as email, f.emails
       from (select owner_id, sum(message_count)::int as emails from ${sqlTable(em, Folder)}
              group by owner_id having sum(message_count) > 0) f
       join ${sqlTable(em, User)} u on u.id = f.owner_id
      order by u.email`,
    [],
  );
  return rows.map((r) => ({ userId: r.user_id, email: r.email, emails: r.emails }));
}
