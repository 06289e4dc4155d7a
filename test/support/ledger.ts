/**
 * A mailbox's used-bytes ledger as the database holds it: the counter on the address row beside
 * what its stored email adds up to, so a test can show that no write was lost or half-done.
 */
import type { TestDatabase } from './test-database.js';

export interface MailboxLedger {
  /** `address.used_bytes`: what the quota counts. */
  used: number;
  /** `address.quota_bytes` (0: unlimited). */
  quota: number;
  /** The sum of `email.size_bytes` of the mailbox's email. */
  stored: number;
  /** How many emails the mailbox holds. */
  emails: number;
}

export async function mailboxLedger(db: TestDatabase, mailboxId: string): Promise<MailboxLedger> {
  const [row] = await db.sql<MailboxLedger>(
    `select a.used_bytes::int as used, a.quota_bytes::int as quota, coalesce(sum(e.size_bytes), 0)::int as stored,
       count(e.id)::int as emails
       from address a left join email e on e.mailbox_id = a.id where a.id = $1 group by a.id`,
    [mailboxId],
  );
  if (!row) throw new Error(`no mailbox ${mailboxId}`);
  return row;
}
