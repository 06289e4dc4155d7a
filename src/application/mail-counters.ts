/**
 * The IMAP counters (modseq, UIDNEXT, the folder counts) and the content-addressed message rows:
 * what every write to a mailbox's mail does beside its entities, in one place.
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
import { StoredMessage } from '../domain/stored-message.js';
import { sqlTable } from './sql-table.js';

const run = <T>(em: EntityManager, sql: string, params: unknown[]) =>
  em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());

interface StateRow {
  mailbox_id: string | null;
  highest_modseq: string | null;
}

/** The mailbox modseq of this unit of work: one per unit of work, taken once (5b in the lock order). */
export class ModseqClock {
  private readonly taken = new Map<string, number>();

  constructor(private readonly em: EntityManager) {}

  async of(mailbox: Mailbox): Promise<number> {
    await this.ofAll([mailbox]);
    return this.taken.get(mailbox.id)!;
  }

  /**
   * Takes the modseq of each mailbox that has none yet in this unit of work: one statement for all
   * of them, their state rows raised in id order.
   */
  async ofAll(mailboxes: readonly Mailbox[]): Promise<void> {
    const raise = this.raising(mailboxes);
    if (raise) this.took(await run<StateRow>(this.em, raise.sql, raise.params), raise.missing);
  }

  /**
   * A delivery's counters in one round trip: the modseq of each mailbox (as `ofAll`) and the UIDs of
   * the emails arriving in each folder (as `allocateUidsIn`), by folder id. One statement, two
   * parts; the caller holds the mailboxes' row locks (5), which order every writer of these rows.
   */
  async withUids(
    mailboxes: readonly Mailbox[],
    arrivals: readonly { folder: Folder; arriving: readonly Counted[] }[],
  ): Promise<Map<string, number>> {
    const raise = this.raising(mailboxes);
    if (!raise || arrivals.length === 0) {
      await this.ofAll(mailboxes);
      return allocateUidsIn(this.em, arrivals);
    }
    const uids = uidStatement(this.em, arrivals);
    const rows = await run<StateRow & { uid_next: string | null; id: string | null }>(
      this.em,
      `with s as (${raise.sql}), f as (${uids.sql})
       select mailbox_id, highest_modseq, null::uuid as id, null::bigint as uid_next from s
       union all select null, null, id, uid_next from f`,
      [...raise.params, ...uids.params],
    );
    this.took(
      rows.filter((r) => r.mailbox_id !== null),
      raise.missing,
    );
    return uids.firstUids(rows.filter((r) => r.id !== null) as { id: string; uid_next: string }[]);
  }

  /** The statement that raises the state rows of the mailboxes without a modseq yet, if any. */
  private raising(mailboxes: readonly Mailbox[]) {
    const missing = [...new Map(mailboxes.filter((m) => !this.taken.has(m.id)).map((m) => [m.id, m])).values()].sort(
      (a, b) => (a.id < b.id ? -1 : 1),
    );
    if (missing.length === 0) return null;
    // a mailbox without a state row yet (new, or seeded in bulk) starts above its email's modseqs
    const sql = `insert into ${sqlTable(this.em, MailboxState)} as s (mailbox_id, owner_id, highest_modseq, journal_floor)
       values ${missing.map(() => `(?::uuid, ?::uuid, (select coalesce(max(e.modseq), 0) + 1 from ${sqlTable(this.em, Email)} e where e.mailbox_id = ?), 0)`).join(', ')}
       on conflict (mailbox_id) do update set highest_modseq = s.highest_modseq + 1
       returning mailbox_id, highest_modseq`;
    return { sql, params: missing.flatMap((m) => [m.id, m.ownerId, m.id]), missing };
  }

  private took(rows: StateRow[], missing: Mailbox[]): void {
    for (const row of rows) this.taken.set(row.mailbox_id!, Number(row.highest_modseq));
    if (rows.length !== missing.length) throw new Error('a mailbox state row was not raised');
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

/** An email as the folder counters see it: one message, unseen or not, of so many octets. */
export interface Counted {
  readonly seen: boolean;
  readonly sizeBytes: number;
}

/**
 * Takes a UID for each email `arriving` in a folder (6 in the lock order); returns the first. The
 * folder's counts (message_count, unseen_count, size_bytes) rise by those emails in the same
 * statement: a UID is only ever taken for an email placed in the folder (delivery, send, append,
 * copy, move), so counting it here costs no round trip of its own.
 */
export async function allocateUids(em: EntityManager, folder: Folder, arriving: readonly Counted[]): Promise<number> {
  const count = arriving.length;
  const unseen = arriving.reduce((n, e) => n + (e.seen ? 0 : 1), 0);
  const size = arriving.reduce((n, e) => n + e.sizeBytes, 0);
  const [row] = await run<{ uid_next: string }>(
    em,
    `update ${sqlTable(em, Folder)} set uid_next = uid_next + ?, message_count = message_count + ?,
       unseen_count = unseen_count + ?, size_bytes = size_bytes + ?
     where mailbox_id = ? and id = ? returning uid_next`,
    [count, count, unseen, size, folder.mailbox.id, folder.id],
  );
  if (!row) throw new RuleViolationError('CONCURRENT_UPDATE', `folder ${folder.path} was deleted meanwhile`);
  const next = Number(row.uid_next);
  if (next - 1 > MAX_UID) throw new RuleViolationError('QUOTA_EXCEEDED', `folder ${folder.path} has used up its UIDs`);
  return next - count;
}

/**
 * `allocateUids` for several folders at once (a delivery to several mailboxes): one statement,
 * whatever the number of folders. Returns each folder's first UID, by folder id. The caller holds
 * the folders' mailboxes' row locks (5), so the order the folder rows are updated in cannot matter.
 */
export async function allocateUidsIn(
  em: EntityManager,
  arrivals: readonly { folder: Folder; arriving: readonly Counted[] }[],
): Promise<Map<string, number>> {
  if (arrivals.length === 1) {
    const [{ folder, arriving }] = arrivals as [{ folder: Folder; arriving: readonly Counted[] }];
    return new Map([[folder.id, await allocateUids(em, folder, arriving)]]);
  }
  if (arrivals.length === 0) return new Map();
  const uids = uidStatement(em, arrivals);
  return uids.firstUids(await run<{ id: string; uid_next: string }>(em, uids.sql, uids.params));
}

/** The statement that takes the UIDs of `allocateUidsIn`, and what makes its answer the first UIDs. */
function uidStatement(em: EntityManager, arrivals: readonly { folder: Folder; arriving: readonly Counted[] }[]) {
  const rows = arrivals.map(({ folder, arriving }) => ({
    folder,
    count: arriving.length,
    unseen: arriving.reduce((n, e) => n + (e.seen ? 0 : 1), 0),
    size: arriving.reduce((n, e) => n + e.sizeBytes, 0),
  }));
  const values = rows.map(() => '(?::uuid, ?::uuid, ?::bigint, ?::bigint, ?::bigint)').join(', ');
  const sql = `update ${sqlTable(em, Folder)} f set uid_next = f.uid_next + d.n, message_count = f.message_count + d.n,
       unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size
     from (values ${values}) d(mailbox_id, id, n, unseen, size)
     where f.mailbox_id = d.mailbox_id and f.id = d.id
     returning f.id, f.uid_next`;
  const firstUids = (updated: { id: string; uid_next: string }[]) => {
    const next = new Map(updated.map((r) => [r.id, Number(r.uid_next)]));
    const first = new Map<string, number>();
    for (const { folder, count } of rows) {
      const uidNext = next.get(folder.id);
      if (uidNext === undefined)
        throw new RuleViolationError('CONCURRENT_UPDATE', `folder ${folder.path} was deleted meanwhile`);
      if (uidNext - 1 > MAX_UID)
        throw new RuleViolationError('QUOTA_EXCEEDED', `folder ${folder.path} has used up its UIDs`);
      first.set(folder.id, uidNext - count);
    }
    return first;
  };
  return { sql, params: rows.flatMap((r) => [r.folder.mailbox.id, r.folder.id, r.count, r.unseen, r.size]), firstUids };
}

interface CountDelta {
  mailboxId: string;
  folderId: string;
  messages: number;
  unseen: number;
  sizeBytes: number;
}

// per unit of work: the transactional entity manager the use case was handed
const pending = new WeakMap<EntityManager, FolderCounters>();

/**
 * The folder counts (IMAP STATUS MESSAGES/UNSEEN, JMAP totalEmails/unreadEmails, octets) are kept
 * by the application, not by triggers (Citus refuses any trigger on a distributed table, issue
 * #19). An email arriving in a folder is counted by `allocateUids`, in the statement that takes its
 * UID. What else changes a folder's counts — an email leaving it (expunged, purged, moved out) and
 * a \Seen flag changing — is noted here per unit of work and written by the unit of work itself
 * before its flush (`writeFolderCounts`): one statement for all its folders, never one update per
 * email (PostgreSQL makes repeated updates of one row in a transaction quadratic). Every writer of
 * a mailbox's email holds the mailbox's row lock (5 in locking.ts) before it touches folder rows.
 */
export class FolderCounters {
  private readonly deltas = new Map<string, CountDelta>();

  /** The counters of this unit of work. */
  static of(em: EntityManager): FolderCounters {
    let counters = pending.get(em);
    if (!counters) pending.set(em, (counters = new FolderCounters()));
    return counters;
  }

  /**
   * An email placed in its folder under a UID taken in memory (`Folder.takeUid`: seeders and bulk
   * loaders with new folders); every other arrival is counted by `allocateUids`.
   */
  arrived(email: Email): void {
    this.add(email, 1, email.seen ? 0 : 1, email.sizeBytes);
  }

  /** An email leaves its folder (expunged or purged, or moved out: call before the move). */
  leaving(email: Email): void {
    this.add(email, -1, email.seen ? 0 : -1, -email.sizeBytes);
  }

  /** The email's \Seen flag may have changed from `wasSeen`; its folder's unseen count follows. */
  seenChanged(email: Email, wasSeen: boolean): void {
    if (email.seen !== wasSeen) this.add(email, 0, email.seen ? -1 : 1, 0);
  }

  /** Writes the noted changes: one statement, every folder once, in (mailbox, folder) order. */
  async write(em: EntityManager): Promise<number> {
    const rows = [...this.deltas.values()]
      .filter((d) => d.messages !== 0 || d.unseen !== 0 || d.sizeBytes !== 0)
      .sort((a, b) => (a.mailboxId + a.folderId < b.mailboxId + b.folderId ? -1 : 1));
    this.deltas.clear();
    if (rows.length === 0) return 0;
    const values = rows.map(() => '(?::uuid, ?::uuid, ?::bigint, ?::bigint, ?::bigint)').join(', ');
    await run(
      em,
      `update ${sqlTable(em, Folder)} f set message_count = f.message_count + d.n,
         unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size
       from (values ${values}) d(mailbox_id, id, n, unseen, size)
       where f.mailbox_id = d.mailbox_id and f.id = d.id`,
      rows.flatMap((d) => [d.mailboxId, d.folderId, d.messages, d.unseen, d.sizeBytes]),
    );
    return rows.length;
  }

  private add(email: Email, messages: number, unseen: number, sizeBytes: number): void {
    const mailboxId = email.mailbox.id;
    const folderId = email.folder.id;
    const key = `${mailboxId}/${folderId}`;
    const delta = this.deltas.get(key) ?? { mailboxId, folderId, messages: 0, unseen: 0, sizeBytes: 0 };
    delta.messages += messages;
    delta.unseen += unseen;
    delta.sizeBytes += sizeBytes;
    this.deltas.set(key, delta);
  }
}

/** Writes the folder counts a unit of work changed (called by the unit of work before its flush). */
export async function writeFolderCounts(em: EntityManager): Promise<void> {
  const counters = pending.get(em);
  if (counters) await counters.write(em);
}

/** Drops what a failed unit of work noted. */
export function discardFolderCounts(em: EntityManager): void {
  pending.delete(em);
}

/**
 * Sets the counts of folders from their email: of the given mailboxes, or of every folder. For
 * repair (an operator after writing email rows by hand) and for bulk loaders, which recount their
 * folders with this one statement at the end instead of counting as they go. Returns how many
 * folders had counts that differed.
 */
export async function recountFolders(em: EntityManager, mailboxIds?: readonly string[]): Promise<number> {
  if (mailboxIds && mailboxIds.length === 0) return 0;
  const ids = mailboxIds ? [...new Set(mailboxIds)].sort() : [];
  const only = (column: string) => (mailboxIds ? `and ${column} in (${ids.map(() => '?').join(', ')})` : '');
  const rows = await run<{ id: string }>(
    em,
    `update ${sqlTable(em, Folder)} f set message_count = c.n, unseen_count = c.unseen, size_bytes = c.size
     from (
       select g.mailbox_id, g.id, count(e.id) as n, count(e.id) filter (where not e.seen) as unseen,
              coalesce(sum(e.size_bytes), 0) as size
         from ${sqlTable(em, Folder)} g
         left join ${sqlTable(em, Email)} e on e.mailbox_id = g.mailbox_id and e.folder_id = g.id
        where true ${only('g.mailbox_id')}
        group by g.mailbox_id, g.id
     ) c
     where f.mailbox_id = c.mailbox_id and f.id = c.id ${only('f.mailbox_id')}
       and (f.message_count, f.unseen_count, f.size_bytes) is distinct from (c.n, c.unseen, c.size)
     returning f.id`,
    [...ids, ...ids],
  );
  return rows.length;
}

/** Rows per insert of stored messages: 9 parameters each, well under PostgreSQL's 65,535. */
const CONTENT_ROWS_PER_STATEMENT = 1_000;

/**
 * Stores each message's bytes once in each mailbox (keeping the first copy of a hash the mailbox
 * already holds), in one statement per 1,000 rows: a delivery to several mailboxes or a batch into
 * one is one round trip. `on conflict do update` (not `do nothing`) locks an existing row until
 * commit, so a concurrent sweep of the message's last copy in that mailbox waits for this unit of
 * work and then sees its email. `storedContent` gives the managed reference an email is built with.
 */
export async function storeContent(
  em: EntityManager,
  mailboxes: readonly Mailbox[],
  messages: readonly Message[],
): Promise<void> {
  await storeContentIn(
    em,
    mailboxes.flatMap((mailbox) => messages.map((message) => ({ mailbox, message }))),
  );
}

/** `storeContent` for given (mailbox, message) pairs: several messages, each to its own mailboxes. */
export async function storeContentIn(
  em: EntityManager,
  pairs: readonly { mailbox: Mailbox; message: Message }[],
): Promise<void> {
  // each pair once, in (mailbox, hash) order: the order two deliveries lock the rows in
  const rows = [...new Map(pairs.map((p) => [`${p.mailbox.id} ${p.message.contentHash}`, p])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, pair]) => pair);
  for (let i = 0; i < rows.length; i += CONTENT_ROWS_PER_STATEMENT) {
    const slice = rows.slice(i, i + CONTENT_ROWS_PER_STATEMENT);
    await run(
      em,
      `insert into ${sqlTable(em, StoredMessage)}
         (mailbox_id, owner_id, content_hash, raw, size_bytes, envelope, structure, attachments, html, created_at)
       values ${slice.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, now())').join(', ')}
       on conflict (mailbox_id, content_hash) do update set content_hash = excluded.content_hash`,
      slice.flatMap(({ mailbox, message }) => [
        mailbox.id,
        mailbox.ownerId,
        message.contentHash,
        message.raw,
        message.sizeBytes,
        JSON.stringify(message.envelope),
        JSON.stringify(message.structure),
        JSON.stringify(message.attachments),
        message.html,
      ]),
    );
  }
}

/** The managed reference to a message `storeContent` stored in a mailbox. */
export function storedContent(em: EntityManager, mailbox: Mailbox, contentHash: string): StoredMessage {
  // a composite key of a relation and a string column: MikroORM's typings cannot tell, the call can
  return em.getReference(StoredMessage, [mailbox.id, contentHash] as never) as StoredMessage;
}

/**
 * Removes the stored messages of a mailbox that none of its emails refers to any more (the outbound
 * queue keeps its own copy of the bytes), after this unit of work's email deletions are flushed.
 * Locks the rows first (waiting for any delivery that is re-using one), then checks references in a
 * new statement, which sees what such a delivery committed: a message is never removed while a copy
 * refers to it.
 */
export async function sweepContent(em: EntityManager, mailboxId: string, hashes: string[]): Promise<number> {
  const unique = [...new Set(hashes)].sort();
  if (unique.length === 0) return 0;
  await em.flush();
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const locked = await run<{ content_hash: string }>(
    em,
    `select content_hash from ${sqlTable(em, StoredMessage)}
      where mailbox_id = ? and content_hash in (${marks(unique.length)})
      order by content_hash for update`,
    [mailboxId, ...unique],
  );
  if (locked.length === 0) return 0;
  const removed = await run(
    em,
    `delete from ${sqlTable(em, StoredMessage)} m
      where m.mailbox_id = ? and m.content_hash in (${marks(locked.length)})
        and not exists (select 1 from ${sqlTable(em, Email)} e
                         where e.mailbox_id = m.mailbox_id and e.content_hash = m.content_hash)
      returning 1`,
    [mailboxId, ...locked.map((r) => r.content_hash)],
  );
  return removed.length;
}
