/**
 * Threading at delivery (the rule: domain/thread.ts, the README's "Threads"). Every path that
 * creates an email from a message (deliver, deliverMany, deliverEach, send's Sent copy, the
 * store's append) asks `threadsOf(em).place(...)` under the mailbox's row lock, which every write
 * to a mailbox's mail takes first: two deliveries to one mailbox thread one after the other, each
 * seeing what the other committed, so a chain delivered in any order and at once ends in one
 * thread. Threads never span mailboxes (every lookup names its mailbox), so the mailbox lock is
 * the only lock threading needs. A copy keeps its original's thread and asks nothing.
 *
 * One unit of work may place several messages in one mailbox before its one flush (a batch, or a
 * message sent to oneself: the Sent copy and the INBOX copy): the emails it placed and not yet
 * saved are threaded in memory, per unit of work.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Email } from '../domain/email.js';
import { newId } from '../domain/identity.js';
import type { Mailbox } from '../domain/mailbox.js';
import { storedThreadKeys, threadKeysOf, type ThreadPlacement, type ThreadSource } from '../domain/thread.js';
import type { Message } from '../domain/message.js';
import type { ModseqClock } from './mail-counters.js';
import { sqlTable } from './sql-table.js';

/** What a message threads by: its Message-ID, subject, and the parents its header names. */
export function threadSourceOf(message: Message): ThreadSource {
  return {
    messageId: message.messageId,
    subject: message.subject,
    inReplyTo: message.envelope.inReplyTo,
    references: message.envelope.references,
  };
}

/** One mailbox's threading state within one unit of work. */
class MailboxThreads {
  /** key → thread of the emails this unit of work placed (resolve before use: threads merge). */
  private readonly placed = new Map<string, string>();
  /** merged-away thread → the thread it joined */
  private readonly merged = new Map<string, string>();
  /** this unit of work's new emails, re-threaded when a later message merges their thread */
  private readonly emails: Email[] = [];
  /** threads found among saved emails: merging one away rewrites its saved emails */
  private readonly saved = new Set<string>();
  /** lookups already answered for this unit of work (`prefetchThreads`), by kind and key */
  readonly known = { all: new Map<string, string[]>(), latest: new Map<string, string[]>() };

  constructor(
    private readonly em: EntityManager,
    private readonly mailbox: Mailbox,
  ) {}

  get mailboxId(): string {
    return this.mailbox.id;
  }

  private resolve(thread: string): string {
    let current = thread;
    for (let next = this.merged.get(current); next !== undefined; next = this.merged.get(current)) current = next;
    return current;
  }

  async place(sources: ThreadSource[], clock: ModseqClock): Promise<ThreadPlacement[]> {
    const keys = sources.map(threadKeysOf);
    const byReference = await this.stored([...new Set(keys.flatMap((k) => k.references))], 'all');
    const replySubjects = [...new Set(keys.filter((k) => k.reply && k.subject).map((k) => k.subject!))];
    const bySubject = await this.stored(replySubjects, 'latest');
    const stored = this.saved;
    const mergedAway = new Set<string>();
    const placements = keys.map((k) => {
      const found = new Set<string>();
      for (const key of k.references) {
        const mine = this.placed.get(key);
        if (mine) found.add(this.resolve(mine));
        for (const thread of byReference.get(key) ?? []) {
          stored.add(thread);
          found.add(this.resolve(thread));
        }
      }
      if (found.size === 0 && k.reply && k.subject) {
        const mine = this.placed.get(k.subject);
        const theirs = bySubject.get(k.subject)?.[0];
        if (mine) found.add(this.resolve(mine));
        else if (theirs) {
          stored.add(theirs);
          found.add(this.resolve(theirs));
        }
      }
      // several threads linked by one message merge into the oldest (ids are time-ordered)
      const [survivor, ...others] = found.size > 0 ? [...found].sort() : [newId()];
      for (const other of others) {
        this.merged.set(other, survivor!);
        if (stored.has(other)) mergedAway.add(other);
      }
      for (const key of k.references) this.placed.set(key, survivor!);
      if (k.subject) this.placed.set(k.subject, survivor!);
      return { id: survivor!, keys: storedThreadKeys(k) };
    });
    // earlier placements of this unit of work follow a merge (they are not saved yet)
    for (const placement of placements) placement.id = this.resolve(placement.id);
    for (const email of this.emails) email.joinThread(this.resolve(email.threadId));
    if (mergedAway.size > 0) await this.rethreadStored([...mergedAway], clock);
    return placements;
  }

  /** The emails created from this unit of work's placements, so later merges reach them. */
  adopt(emails: Email[]): void {
    this.emails.push(...emails);
  }

  /**
   * The saved emails of this mailbox that hold any of `keys`: per key, its threads (`all`), or
   * the thread of the latest email received (`latest`, for the subject fallback).
   */
  private async stored(wanted: string[], which: 'all' | 'latest'): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    const known = this.known[which];
    const keys = wanted.filter((key) => {
      const threads = known.get(key);
      if (threads) found.set(key, threads);
      return !threads;
    });
    if (keys.length === 0) return found;
    // the keys as one JSON parameter, however many (a batch of 50,000 messages has 100,000 or more)
    let sql: string;
    if (keys.length <= KEYS_PER_PROBE) sql = probeSql(this.em, which);
    else {
      // the mailbox's keys read once and joined by hash: the cost grows with the mailbox only
      const joined = `from ${sqlTable(this.em, Email)} e cross join lateral unnest(e.thread_keys) ek(key)
                      join (select value as key from json_array_elements_text(?::json)) k on k.key = ek.key
                      where e.mailbox_id = ?`;
      sql =
        which === 'all'
          ? `select distinct k.key, e.thread_id ${joined}`
          : `select distinct on (k.key) k.key, e.thread_id ${joined} order by k.key, e.received_at desc, e.id desc`;
    }
    const rows = await this.em
      .getConnection()
      .execute<{ key: string; thread_id: string }[]>(
        sql,
        [JSON.stringify(keys), this.mailbox.id],
        'all',
        this.em.getTransactionContext(),
      );
    for (const row of rows) found.set(row.key, [...(found.get(row.key) ?? []), row.thread_id]);
    return found;
  }
  /**
   * Saved emails of merged-away threads join the surviving thread: each is a change under this
   * unit of work's modseq, journalled (JMAP Email/changes and Thread/changes see it; CONDSTORE
   * sees a changed email). One statement per merged thread (a bulk update beside the unit of
   * work: no email it rewrites is loaded in a delivery's unit of work).
   */
  private async rethreadStored(threads: string[], clock: ModseqClock): Promise<void> {
    const modseq = await clock.of(this.mailbox);
    for (const thread of threads.sort()) {
      const rows = await this.em.getConnection().execute<{ id: string; folder_id: string; uid: string }[]>(
        `update ${sqlTable(this.em, Email)} set thread_id = ?, modseq = greatest(modseq, ?)
          where mailbox_id = ? and thread_id = ? returning id, folder_id, uid`,
        [this.resolve(thread), modseq, this.mailbox.id, thread],
        'all',
        this.em.getTransactionContext(),
      );
      for (const row of rows) {
        await clock.record(this.mailbox, 'changed', { folderId: row.folder_id, uid: Number(row.uid), emailId: row.id });
      }
    }
  }
}

/**
 * One GIN probe of a mailbox's email per key (`@> array[key]`), in a lateral subquery the planner
 * may not flatten (`offset 0`): a plain join let it read a mailbox whose statistics were older
 * than its mail (it looks small) once and filter it for every key, seconds a batch, growing with
 * the mailbox. Parameters: the keys as one JSON array, then the mailbox id.
 */
function probeSql(em: EntityManager, which: 'all' | 'latest'): string {
  const list = `(select value as key from json_array_elements_text(?::json))`;
  const probe = `from ${sqlTable(em, Email)} e where e.mailbox_id = ? and e.thread_keys @> array[k.key]`;
  return which === 'all'
    ? `select k.key, t.thread_id from ${list} k cross join lateral (select distinct e.thread_id ${probe} offset 0) t`
    : `select k.key, t.thread_id from ${list} k
        cross join lateral (select e.thread_id ${probe} order by e.received_at desc, e.id desc limit 1) t`;
}

/**
 * Answers the threading lookups of several mailboxes' messages in one round trip, before they are
 * placed (a batch of deliveries): one branch per mailbox and kind of lookup, each the query
 * `place` would send on its own for that mailbox (so each still names its mailbox, and on Citus
 * still reads one shard). A mailbox with more keys than KEYS_PER_PROBE is left to `place`.
 */
export async function prefetchThreads(
  em: EntityManager,
  entries: { mailbox: Mailbox; sources: ThreadSource[] }[],
): Promise<void> {
  const branches: { threads: MailboxThreads; which: 'all' | 'latest'; keys: string[] }[] = [];
  for (const { mailbox, sources } of entries) {
    const threads = threadsOf(em, mailbox);
    const keys = sources.map(threadKeysOf);
    const all = [...new Set(keys.flatMap((k) => k.references))].filter((k) => !threads.known.all.has(k));
    const latest = [...new Set(keys.filter((k) => k.reply && k.subject).map((k) => k.subject!))].filter(
      (k) => !threads.known.latest.has(k),
    );
    if (all.length + latest.length > KEYS_PER_PROBE) continue;
    if (all.length > 0) branches.push({ threads, which: 'all', keys: all });
    if (latest.length > 0) branches.push({ threads, which: 'latest', keys: latest });
  }
  if (branches.length === 0) return;
  const sql = branches
    .map((b, i) => `select ${i} as branch, q.key, q.thread_id from (${probeSql(em, b.which)}) q`)
    .join(' union all ');
  const rows = await em.getConnection().execute<{ branch: number; key: string; thread_id: string }[]>(
    sql,
    branches.flatMap((b) => [JSON.stringify(b.keys), b.threads.mailboxId]),
    'all',
    em.getTransactionContext(),
  );
  for (const b of branches) for (const key of b.keys) b.threads.known[b.which].set(key, []);
  for (const row of rows) {
    const b = branches[row.branch]!;
    b.threads.known[b.which].get(row.key)!.push(row.thread_id);
  }
}

/**
 * Up to this many keys, each is one GIN probe of the mailbox's email; a batch with more (an import,
 * a bulk delivery) reads the mailbox's keys once and joins them by hash instead: its cost grows with
 * the mailbox, not with the mailbox times the keys, whatever the planner's statistics say.
 */
const KEYS_PER_PROBE = 64;

const perUnitOfWork = new WeakMap<EntityManager, Map<string, MailboxThreads>>();

/** The threading of this unit of work for one mailbox (whose row lock the caller holds). */
export function threadsOf(em: EntityManager, mailbox: Mailbox): MailboxThreads {
  const mailboxes = perUnitOfWork.get(em) ?? new Map<string, MailboxThreads>();
  perUnitOfWork.set(em, mailboxes);
  const threads = mailboxes.get(mailbox.id) ?? new MailboxThreads(em, mailbox);
  mailboxes.set(mailbox.id, threads);
  return threads;
}
