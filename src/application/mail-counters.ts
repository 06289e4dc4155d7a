/**
 * The IMAP counters and the content-addressed message rows: what every write to a mailbox's mail
 * does beside its entities, in one place.
 *
 * Counters are rows raised under their row lock (`update … set n = n + k returning …`), never
 * sequences: the lock is held to commit, so the next writer reads the value this one committed
 * and numbers are handed out gap-free in commit order (a reader never sees UID n+1 while n is
 * still to commit). Lock order (see locking.ts): the mailbox's state row, then folder rows.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Email } from '../domain/email.js';
import { Folder, MAX_UID } from '../domain/folder.js';
import { MailboxState, MailChange, type ChangeKind, type FolderEvent } from '../domain/mail-change.js';
import type { Mailbox } from '../domain/mailbox.js';
import { RuleViolationError } from '../domain/errors.js';
import type { Message } from '../domain/message.js';
import { OutboundMessage } from '../domain/outbound-message.js';
import { StoredMessage } from '../domain/stored-message.js';
import { sqlTable } from './sql-table.js';

const run = <T>(em: EntityManager, sql: string, params: unknown[]) =>
  em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());

/** The mailbox modseq of this unit of work: one per unit of work, taken once (5b in the lock order). */
export class ModseqClock {
  private readonly taken = new Map<string, number>();

  constructor(private readonly em: EntityManager) {}

  async of(mailbox: Mailbox): Promise<number> {
    const known = this.taken.get(mailbox.id);
    if (known !== undefined) return known;
    const [row] = await run<{ highest_modseq: string }>(
      this.em,
      // a mailbox without a state row yet (new, or seeded in bulk) starts above its email's modseqs
      `insert into ${sqlTable(this.em, MailboxState)} as s (mailbox_id, owner_id, highest_modseq, journal_floor)
       values (?, ?, (select coalesce(max(e.modseq), 0) + 1 from ${sqlTable(this.em, Email)} e where e.mailbox_id = ?), 0)
       on conflict (mailbox_id) do update set highest_modseq = s.highest_modseq + 1
       returning highest_modseq`,
      [mailbox.id, mailbox.ownerId, mailbox.id],
    );
    const modseq = Number(row!.highest_modseq);
    this.taken.set(mailbox.id, modseq);
    return modseq;
  }

  /** The mailbox's highest modseq as this unit of work sees it (its own, when it took one). */
  async current(mailbox: Mailbox): Promise<number> {
    const known = this.taken.get(mailbox.id);
    if (known !== undefined) return known;
    const [row] = await run<{ highest_modseq: string }>(
      this.em,
      `select highest_modseq from ${sqlTable(this.em, MailboxState)} where mailbox_id = ?`,
      [mailbox.id],
    );
    return Number(row?.highest_modseq ?? 0);
  }

  /** Writes a journal entry for a change under this unit of work's modseq of the mailbox. */
  async record(
    mailbox: Mailbox,
    kind: ChangeKind,
    entry: { folderId: string; uid?: number; emailId?: string; folderEvent?: FolderEvent },
  ): Promise<number> {
    const modseq = await this.of(mailbox);
    this.em.persist(new MailChange({ mailbox, modseq, kind, ...entry }));
    return modseq;
  }
}

/** Takes `count` UIDs of a folder (6 in the lock order); returns the first. */
export async function allocateUids(em: EntityManager, folder: Folder, count: number): Promise<number> {
  const [row] = await run<{ uid_next: string }>(
    em,
    `update ${sqlTable(em, Folder)} set uid_next = uid_next + ? where id = ? returning uid_next`,
    [count, folder.id],
  );
  if (!row) throw new RuleViolationError('CONCURRENT_UPDATE', `folder ${folder.path} was deleted meanwhile`);
  const next = Number(row.uid_next);
  if (next - 1 > MAX_UID) throw new RuleViolationError('QUOTA_EXCEEDED', `folder ${folder.path} has used up its UIDs`);
  return next - count;
}

/**
 * Stores a message's bytes once (keeping the first copy of the same hash) and returns the managed
 * reference. `on conflict do update` (not `do nothing`) locks the existing row until commit, so a
 * concurrent sweep of the message's last copy waits for this unit of work and then sees its email.
 */
export async function storeContent(em: EntityManager, message: Message): Promise<StoredMessage> {
  await run(
    em,
    `insert into ${sqlTable(em, StoredMessage)} (content_hash, raw, size_bytes, envelope, structure, attachments, html, created_at)
     values (?, ?, ?, ?, ?, ?, ?, now())
     on conflict (content_hash) do update set content_hash = excluded.content_hash`,
    [
      message.contentHash,
      message.raw,
      message.sizeBytes,
      JSON.stringify(message.envelope),
      JSON.stringify(message.structure),
      JSON.stringify(message.attachments),
      message.html,
    ],
  );
  // keyed by a string column that is not called id: MikroORM's typings cannot tell, the call can
  return em.getReference(StoredMessage, message.contentHash as never) as StoredMessage;
}

/**
 * Removes the stored messages of `hashes` that no email (and no unfinished outbound message) refers
 * to any more, after this unit of work's email deletions are flushed. Locks the rows first (waiting for any delivery that is
 * re-using one), then checks references in a new statement, which sees what such a delivery
 * committed: a message is never removed while a copy refers to it.
 */
export async function sweepContent(em: EntityManager, hashes: string[]): Promise<void> {
  const unique = [...new Set(hashes)].sort();
  if (unique.length === 0) return;
  await em.flush();
  const locked = await run<{ content_hash: string }>(
    em,
    `select content_hash from ${sqlTable(em, StoredMessage)} where content_hash in (${unique.map(() => '?').join(', ')})
      order by content_hash for update`,
    unique,
  );
  if (locked.length === 0) return;
  await run(
    em,
    `delete from ${sqlTable(em, StoredMessage)} m where m.content_hash in (${locked.map(() => '?').join(', ')})
       and not exists (select 1 from ${sqlTable(em, Email)} e where e.content_hash = m.content_hash)
       and not exists (select 1 from ${sqlTable(em, OutboundMessage)} o where o.content_hash = m.content_hash)`,
    locked.map((r) => r.content_hash),
  );
}
