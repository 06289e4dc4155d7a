/**
 * A mailbox's used-bytes ledger as the database holds it: the counter on the mailbox's usage row beside
 * what its stored email adds up to, so a test can show that no write was lost or half-done.
 */
import type { TestDatabase } from './test-database.js';

export interface MailboxLedger {
  /** `mailbox_usage.used_bytes`: what the quota counts. */
  used: number;
  /** `mailbox_usage.quota_bytes` (0: unlimited). */
  quota: number;
  /** The sum of `email.size_bytes` of the mailbox's email. */
  stored: number;
  /** How many emails the mailbox holds. */
  emails: number;
}

export async function mailboxLedger(db: TestDatabase, mailboxId: string): Promise<MailboxLedger> {
  const [row] = await db.sql<MailboxLedger>(
    `select mu.used_bytes::int as used, mu.quota_bytes::int as quota, coalesce(sum(e.size_bytes), 0)::int as stored,
       count(e.id)::int as emails
       from address a join mailbox_usage mu on mu.mailbox_id = a.id left join email e on e.mailbox_id = a.id where a.id = $1 group by a.id, mu.mailbox_id`,
    [mailboxId],
  );
  if (!row) throw new Error(`no mailbox ${mailboxId}`);
  return row;
}
