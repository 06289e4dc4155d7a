/**
 * The message store as an IMAP or JMAP server needs it: select, fetch, store flags, copy, move,
 * expunge, append, and what changed since a modseq. Each method is one unit of work.
 *
 * Principal: a mail server acts for a mailbox it has authenticated (as the LMTP agent delivers for
 * the MTA): calls name a mailbox id and are trusted like `deliverInbound` (no acting user, no row
 * security). The owner's own use cases stay on MailService, confined to the owner.
 */
import { Readable } from 'node:stream';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Email, type EmailFlags } from '../domain/email.js';
import { NotFoundError, RuleViolationError, ValidationError } from '../domain/errors.js';
import { Folder } from '../domain/folder.js';
import { parseFlagNames, SYSTEM_FLAGS, IMAP_SYSTEM_FLAGS, checkKeywords } from '../domain/imap-flags.js';
import { MailboxState, MailChange, type ChangeKind, type FolderEvent } from '../domain/mail-change.js';
import { Mailbox } from '../domain/mailbox.js';
import { parseRawMessage } from '../domain/raw-message.js';
import type { AttachmentInfo, Envelope, MimePart } from '../domain/raw-message.js';
import { StoredMessage } from '../domain/stored-message.js';
import { parseUidSet, type UidRange } from '../domain/uid-set.js';
import { checkId } from './loading.js';
import { lockMailboxes, lockUsageRows } from './locking.js';
import {
  allocateUids,
  ModseqClock,
  recountFolders,
  storeContent,
  storedContent,
  sweepContent,
} from './mail-counters.js';
import { recordMailboxEvent, recordQuotaThresholds } from './events/outbox.js';
import { moveEmail, recordChange, removeEmails } from './mail-service.js';
import { checkSearch, runSearch, type SearchPage, type SearchQuery } from './message-search.js';
import { readRows, sqlTable } from './sql-table.js';
import { threadSourceOf, threadsOf } from './threading.js';
import type { UnitOfWork } from './unit-of-work.js';

/** Mailboxes per unit of work when every mailbox's folders are recounted. */
const RECOUNT_BATCH = 500;

export interface FolderStatus {
  folderId: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  exists: number;
  unseen: number;
  deleted: number;
}

export interface FetchedEmail {
  emailId: string;
  /** Its conversation (JMAP threadId). */
  threadId: string;
  uid: number;
  modseq: number;
  /** IMAP flag names: system flags (`\Seen` …) and keywords. */
  flags: string[];
  internalDate: Date;
  sizeBytes: number;
  contentHash: string;
  envelope: Envelope;
  structure: MimePart;
  attachments: AttachmentInfo[];
  /** The message as received, when asked for (`raw: true`). */
  raw?: Buffer;
}

export interface StoreResult {
  updated: { uid: number; modseq: number; flags: string[] }[];
  /** UIDs refused by UNCHANGEDSINCE (CONDSTORE's MODIFIED). */
  modified: number[];
  highestModseq: number;
}

export interface CopyResult {
  /** For COPYUID: the target's UIDVALIDITY, the source UIDs and the new UIDs, in the same order. */
  uidValidity: number;
  sourceUids: number[];
  targetUids: number[];
}

/** One email of a thread (JMAP Thread/get's emailIds, with what a conversation view lists). */
export interface ThreadEmail {
  emailId: string;
  folderId: string;
  uid: number;
  modseq: number;
  messageId: string;
  subject: string;
  from: string;
  receivedAt: Date;
}

export interface ThreadView {
  threadId: string;
  /** Oldest first (by internal date, then id), across the mailbox's folders. */
  emails: ThreadEmail[];
}

export interface FolderChanges {
  added: number[];
  changed: number[];
  expunged: number[];
}

/**
 * What changed in the folders themselves (JMAP Mailbox/changes), by folder id. A folder created
 * and deleted since is in none; `countsChanged` holds folders whose only change is to their email
 * (so their counts), what JMAP reports with `updatedProperties` of the counts.
 */
export interface MailboxChanges {
  created: string[];
  /** Renamed (path, hence maybe parent), subscribed or unsubscribed. */
  updated: string[];
  destroyed: string[];
  countsChanged: string[];
}

export interface Changes {
  since: number;
  highestModseq: number;
  /** Per folder id: UIDs added (and still there), changed (and still there), expunged. */
  folders: Record<string, FolderChanges>;
  mailboxes: MailboxChanges;
}

/** Chunk size of raw streams: a read of an out-of-line bytea touches only the chunks it asks for. */
const RAW_CHUNK = 1024 * 1024;

/** How long the journal keeps changes by default (JMAP clients older than this resynchronise). */
export const JOURNAL_RETENTION_DAYS = 30;

export class MessageStoreService {
  constructor(private readonly run: UnitOfWork) {}

  async selectFolder(input: { mailboxId: string; folderId: string }): Promise<FolderStatus> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const folderId = checkId(input?.folderId, 'folder');
    return this.run(
      async (em) => {
        const folder = await em.findOne(Folder, { id: folderId, mailbox: mailboxId });
        if (!folder) throw new NotFoundError('folder');
        // exists and unseen are the folder's counters; \Deleted is rare and counted from its rows
        const deleted = await em.count(Email, { mailbox: mailboxId, folder: [mailboxId, folderId], deleted: true });
        return {
          folderId,
          uidValidity: folder.uidValidity,
          uidNext: folder.uidNext,
          highestModseq: await highestModseq(em, mailboxId),
          exists: folder.messageCount,
          unseen: folder.unseenCount,
          deleted,
        };
      },
      { readOnly: true, snapshot: true },
    );
  }

  async fetch(input: {
    mailboxId: string;
    folderId: string;
    uids: string | number[];
    raw?: boolean;
  }): Promise<FetchedEmail[]> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const folderId = checkId(input?.folderId, 'folder');
    const ranges = parseUidSet(input?.uids);
    return this.run(
      async (em) => {
        // one statement, rows straight to the answer: a thousand entities hydrated, and their content
        // rows, cost several times the query (issue #20's UID FETCH of 1,000, bench/reads.ts)
        const rows = await fetchRows(em, mailboxId, folderId, ranges, input.raw === true);
        return rows.map((r) => ({
          emailId: r.id,
          threadId: r.thread_id,
          uid: Number(r.uid),
          modseq: Number(r.modseq),
          flags: [...SYSTEM_FLAGS.filter((f) => r[f]).map((f) => IMAP_SYSTEM_FLAGS[f]), ...r.keywords],
          internalDate: new Date(Number(r.received_ms)),
          sizeBytes: r.size_bytes,
          contentHash: r.content_hash,
          envelope: r.envelope,
          structure: r.structure,
          attachments: r.attachments,
          ...(input.raw ? { raw: Buffer.from(r.raw!) } : {}),
        }));
      },
      { readOnly: true, snapshot: true },
    );
  }

  /**
   * A thread's emails in one query (JMAP Thread/get): by its id, or by one of its emails
   * (`emailId`). A thread is within one mailbox; NOT_FOUND when it has no email there.
   */
  async thread(input: { mailboxId: string; threadId?: string; emailId?: string }): Promise<ThreadView> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const byThread = input?.threadId !== undefined;
    if (byThread === (input?.emailId !== undefined)) {
      throw new ValidationError('INVALID_SEARCH', 'name a thread by threadId or by one of its emails (emailId)');
    }
    const id = byThread ? checkId(input.threadId, 'thread') : checkId(input.emailId, 'email');
    return this.run(
      async (em) => {
        const table = sqlTable(em, Email);
        const rows = await em.getConnection().execute<
          {
            id: string;
            thread_id: string;
            folder_id: string;
            uid: string;
            modseq: string;
            message_id: string;
            subject: string;
            from_address: string;
            received_at: Date;
          }[]
        >(
          `select id, thread_id, folder_id, uid, modseq, message_id, subject, from_address, received_at from ${table}
            where mailbox_id = ? and thread_id = ${byThread ? '?' : `(select thread_id from ${table} where mailbox_id = ? and id = ?)`}
            order by received_at, id`,
          byThread ? [mailboxId, id] : [mailboxId, mailboxId, id],
          'all',
          em.getTransactionContext(),
        );
        if (rows.length === 0) throw new NotFoundError(byThread ? 'thread' : 'email');
        return {
          threadId: rows[0]!.thread_id,
          emails: rows.map((r) => ({
            emailId: r.id,
            folderId: r.folder_id,
            uid: Number(r.uid),
            modseq: Number(r.modseq),
            messageId: r.message_id,
            subject: r.subject,
            from: r.from_address,
            receivedAt: new Date(r.received_at),
          })),
        };
      },
      { readOnly: true, snapshot: true },
    );
  }

  /**
   * SEARCH in a folder: full text over subject, addresses and body (words, by the `simple`
   * configuration) with SINCE, BEFORE, flags, keywords and a UID set; in UID order, paged by
   * keyset. INVALID_SEARCH for a malformed query (a text with no word, too many words, a bad date).
   */
  async search(input: SearchQuery): Promise<SearchPage> {
    const search = checkSearch(input);
    return this.run(
      async (em) => {
        const folder = await em.findOne(Folder, { id: search.folderId, mailbox: search.mailboxId });
        if (!folder) throw new NotFoundError('folder');
        return runSearch(em, search);
      },
      { readOnly: true, snapshot: true },
    );
  }

  /**
   * The raw message of an email as a stream, read in chunks (a 25 MiB message is never one
   * buffer here). The email must exist when the stream starts.
   */
  async openRaw(input: { mailboxId: string; emailId: string }): Promise<{ sizeBytes: number; stream: Readable }> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const emailId = checkId(input?.emailId, 'email');
    const found = await this.run(
      async (em) => {
        const email = await em.findOne(Email, { mailbox: mailboxId, id: emailId });
        if (!email) throw new NotFoundError('email');
        const [row] = await em
          .getConnection()
          .execute<{ size: string }[]>(
            `select octet_length(raw) as size from ${sqlTable(em, StoredMessage)} where mailbox_id = ? and content_hash = ?`,
            [mailboxId, email.content.contentHash],
            'all',
            em.getTransactionContext(),
          );
        return { hash: email.content.contentHash, size: Number(row!.size) };
      },
      { readOnly: true, primary: true },
    );
    const run = this.run;
    async function* chunks() {
      for (let offset = 0; offset < found.size; offset += RAW_CHUNK) {
        const [row] = await run(
          (em) =>
            em.getConnection().execute<{ part: Buffer }[]>(
              `select substring(raw from ? for ?) as part from ${sqlTable(em, StoredMessage)}
                  where mailbox_id = ? and content_hash = ?`,
              [offset + 1, RAW_CHUNK, mailboxId, found.hash],
              'all',
            ),
          { readOnly: true, primary: true },
        );
        if (!row) throw new NotFoundError('message');
        yield row.part;
      }
    }
    return { sizeBytes: found.size, stream: Readable.from(chunks()) };
  }

  /**
   * STORE: adds, removes or replaces flags and keywords of the emails of a UID set. With
   * `unchangedSince`, an email whose modseq is higher is left alone and reported as modified.
   */
  async storeFlags(input: {
    mailboxId: string;
    folderId: string;
    uids: string | number[];
    mode: 'add' | 'remove' | 'replace';
    flags: string[];
    unchangedSince?: number;
  }): Promise<StoreResult> {
    const ranges = parseUidSet(input?.uids);
    if (!['add', 'remove', 'replace'].includes(input?.mode)) {
      throw new ValidationError('INVALID_FLAG', 'mode is add, remove or replace');
    }
    const { system, keywords } = parseFlagNames(input.flags);
    const since = input.unchangedSince;
    if (since !== undefined && (!Number.isSafeInteger(since) || since < 0)) {
      throw new ValidationError('INVALID_FLAG', 'unchangedSince is a modseq (a whole number from 0)');
    }
    return this.onFolder(input, async (em, mailbox, folder, clock) => {
      const emails = await findByUids(em, mailbox.id, folder.id, ranges);
      const result: StoreResult = { updated: [], modified: [], highestModseq: 0 };
      for (const email of emails) {
        if (since !== undefined && email.modseq > since) {
          result.modified.push(email.uid);
          continue;
        }
        const next: Partial<EmailFlags> = {};
        for (const flag of SYSTEM_FLAGS) {
          const named = system.includes(flag);
          if (input.mode === 'replace') next[flag] = named;
          else if (named) next[flag] = input.mode === 'add';
        }
        const nextKeywords =
          input.mode === 'replace'
            ? keywords
            : input.mode === 'add'
              ? [...email.keywords, ...keywords]
              : email.keywords.filter((k) => !keywords.includes(k));
        const wasSeen = email.seen;
        const flagsChanged = email.setFlags(next);
        const keywordsChanged = email.setKeywords(checkKeywords(nextKeywords));
        const changed = flagsChanged || keywordsChanged;
        if (changed) await recordChange(em, mailbox, email, wasSeen, clock);
        result.updated.push({ uid: email.uid, modseq: email.modseq, flags: flagNames(email) });
      }
      result.highestModseq = await clock.current(mailbox);
      return result;
    });
  }

  /** EXPUNGE / UID EXPUNGE: removes the \Deleted emails of the folder (or of a UID set among them). */
  async expunge(input: {
    mailboxId: string;
    folderId: string;
    uids?: string | number[];
  }): Promise<{ expunged: number[] }> {
    const ranges = input?.uids === undefined ? null : parseUidSet(input.uids);
    return this.onFolder(input, async (em, mailbox, folder, clock) => {
      const emails = ranges
        ? await findByUids(em, mailbox.id, folder.id, ranges)
        : await em.find(Email, { mailbox: mailbox.id, folder }, { orderBy: { uid: 'asc' } });
      const doomed = emails.filter((e) => e.deleted);
      await removeEmails(em, mailbox, doomed, clock);
      return { expunged: doomed.map((e) => e.uid) };
    });
  }

  /** APPEND: stores a raw message in a folder with flags and an internal date; returns its UID. */
  async append(input: {
    mailboxId: string;
    folderId: string;
    raw: Buffer;
    flags?: string[];
    internalDate?: Date;
  }): Promise<{ emailId: string; uid: number; uidValidity: number }> {
    const message = await parseRawMessage(input?.raw);
    const { system, keywords } = parseFlagNames(input?.flags ?? []);
    const internalDate = input?.internalDate ?? new Date();
    if (!(internalDate instanceof Date) || Number.isNaN(internalDate.getTime())) {
      throw new ValidationError('INVALID_MESSAGE', 'internalDate must be a valid date');
    }
    return this.onFolder(input, async (em, mailbox, folder, clock) => {
      const modseq = await clock.of(mailbox);
      const usedBefore = mailbox.usedBytes;
      const flags = Object.fromEntries(system.map((f) => [f, true])) as Partial<EmailFlags>;
      const uid = await allocateUids(em, folder, [{ seen: flags.seen === true, sizeBytes: message.sizeBytes }]);
      await storeContent(em, [mailbox], [message]);
      const content = storedContent(em, mailbox, message.contentHash);
      const threads = threadsOf(em, mailbox);
      const [thread] = await threads.place([threadSourceOf(message)], clock);
      const email = mailbox.store({
        message,
        content,
        placement: { folder, uid, modseq },
        flags,
        keywords,
        receivedAt: internalDate,
        thread: thread!,
      });
      threads.adopt([email]);
      em.persist(email);
      await clock.record(mailbox, 'added', { folderId: folder.id, uid, emailId: email.id });
      recordMailboxEvent(
        em,
        'email.delivered',
        mailbox,
        { emailId: email.id, folderId: folder.id, uid, how: 'appended' },
        { modseq },
      );
      recordQuotaThresholds(em, mailbox, usedBefore, { modseq });
      return { emailId: email.id, uid, uidValidity: folder.uidValidity };
    });
  }

  /** COPY: each email of the UID set copied into the target folder (same stored message, quota counted again). */
  async copy(input: {
    mailboxId: string;
    folderId: string;
    uids: string | number[];
    targetFolderId: string;
  }): Promise<CopyResult> {
    return this.transfer(input, 'copy');
  }

  /** MOVE: each email of the UID set moved into the target folder under a new UID. */
  async move(input: {
    mailboxId: string;
    folderId: string;
    uids: string | number[];
    targetFolderId: string;
  }): Promise<CopyResult> {
    return this.transfer(input, 'move');
  }

  /**
   * What changed in a mailbox since `modseq` (QRESYNC, JMAP Email/changes), from the journal.
   * Asking for more than the journal keeps is CANNOT_CALCULATE_CHANGES: resynchronise.
   */
  async changesSince(input: { mailboxId: string; modseq: number }): Promise<Changes> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const since = input?.modseq;
    if (!Number.isSafeInteger(since) || since < 0)
      throw new ValidationError('INVALID_CURSOR', 'a modseq is a whole number from 0');
    return this.run(
      async (em) => {
        const state = await em.findOne(MailboxState, { mailbox: mailboxId });
        const highest = state?.highestModseq ?? 0;
        if (since > highest)
          throw new ValidationError('INVALID_CURSOR', `modseq ${since} is ahead of the mailbox (${highest})`);
        if (state && since < state.journalFloor) {
          throw new RuleViolationError(
            'CANNOT_CALCULATE_CHANGES',
            `the journal keeps changes after modseq ${state.journalFloor}; resynchronise`,
          );
        }
        // the four columns the replay needs, not entities: 50,000 entries hydrated cost many times the
        // query (issue #20, bench/reads.ts)
        const entries = (
          await readRows<{ kind: ChangeKind; folder_id: string; uid: string | null; folder_event: FolderEvent | null }>(
            em,
            `select kind, folder_id, uid, folder_event from ${sqlTable(em, MailChange)}
              where mailbox_id = ? and modseq > ? order by modseq, id`,
            [mailboxId, since],
          )
        ).map((r) => ({
          kind: r.kind,
          folderId: r.folder_id,
          uid: r.uid === null ? null : Number(r.uid),
          folderEvent: r.folder_event,
        }));
        return {
          since,
          highestModseq: highest,
          folders: replayJournal(entries),
          mailboxes: replayFolderJournal(entries),
        };
      },
      { readOnly: true, snapshot: true },
    );
  }

  /**
   * The journal's retention sweep: removes entries older than `olderThan` (by default
   * JOURNAL_RETENTION_DAYS ago) and raises each mailbox's journal floor to the newest modseq
   * removed, so an older state answers CANNOT_CALCULATE_CHANGES. Run it daily.
   */
  async pruneJournal(input: { olderThan?: Date } = {}): Promise<{ removed: number }> {
    const cutoff = input.olderThan ?? new Date(Date.now() - JOURNAL_RETENTION_DAYS * 86_400_000);
    return this.run(async (em) => {
      const rows = await em.getConnection().execute<{ removed: number }[]>(
        `with gone as (delete from ${sqlTable(em, MailChange)} where created_at < ? returning mailbox_id, modseq),
              floors as (select mailbox_id, max(modseq) as floor from gone group by mailbox_id),
              raised as (update ${sqlTable(em, MailboxState)} s set journal_floor = greatest(s.journal_floor, f.floor)
                           from floors f where s.mailbox_id = f.mailbox_id returning 1)
         select (select count(*) from gone)::int as removed, (select count(*) from raised)::int as raised`,
        [cutoff],
        'all',
        em.getTransactionContext(),
      );
      return { removed: rows[0]!.removed };
    });
  }

  /**
   * Removes stored messages no email refers to (left by purges under row-level security), at most
   * `limit` per call, with the same lock-then-check as a purge's own sweep.
   */
  async sweepMessages(input: { limit?: number } = {}): Promise<{ removed: number }> {
    const limit = input.limit ?? 10_000;
    return this.run(async (em) => {
      const rows = await em.getConnection().execute<{ mailbox_id: string; content_hash: string }[]>(
        `select mailbox_id, content_hash from ${sqlTable(em, StoredMessage)} m
          where not exists (select 1 from ${sqlTable(em, Email)} e
                             where e.mailbox_id = m.mailbox_id and e.content_hash = m.content_hash)
          order by mailbox_id limit ?`,
        [limit],
        'all',
        em.getTransactionContext(),
      );
      const byMailbox = Map.groupBy(rows, (r) => r.mailbox_id);
      // what was deleted, not what was found: a candidate may have been delivered again meanwhile
      let removed = 0;
      for (const [mailboxId, orphans] of byMailbox) {
        removed += await sweepContent(
          em,
          mailboxId,
          orphans.map((r) => r.content_hash),
        );
      }
      return { removed };
    });
  }

  /**
   * Repair: sets folder counts (messages, unseen, octets) from a count of their email, of one
   * mailbox or of every mailbox (in batches of RECOUNT_BATCH mailboxes, each a unit of work).
   * The application keeps the counts as it writes email; this is for after email rows were written
   * by hand. Each mailbox's row is locked first, so no writer changes its mail meanwhile. Returns
   * how many folders had counts that differed.
   */
  async recountFolders(input: { mailboxId?: string } = {}): Promise<{ corrected: number }> {
    const only = input?.mailboxId === undefined ? undefined : checkId(input.mailboxId, 'mailbox');
    const ids = only
      ? [only]
      : await this.run(
          async (em) => (await em.find(Mailbox, {}, { fields: ['id'], orderBy: { id: 'asc' } })).map((m) => m.id),
          { readOnly: true, primary: true },
        );
    let corrected = 0;
    for (let i = 0; i < ids.length; i += RECOUNT_BATCH) {
      const batch = ids.slice(i, i + RECOUNT_BATCH);
      corrected += await this.run(async (em) => {
        await lockUsageRows(em, batch);
        const locked = await em.find(
          Mailbox,
          { id: { $in: batch } },
          { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' }, fields: ['id'] },
        );
        if (only && locked.length === 0) throw new NotFoundError('mailbox');
        return recountFolders(
          em,
          locked.map((m) => m.id),
        );
      });
    }
    return { corrected };
  }

  private async transfer(
    input: { mailboxId: string; folderId: string; uids: string | number[]; targetFolderId: string },
    kind: 'copy' | 'move',
  ): Promise<CopyResult> {
    const ranges = parseUidSet(input?.uids);
    const targetId = checkId(input?.targetFolderId, 'target folder');
    return this.onFolder(input, async (em, mailbox, folder, clock) => {
      const target = await em.findOne(Folder, { id: targetId, mailbox: mailbox.id });
      if (!target) throw new NotFoundError('target folder');
      const emails = await findByUids(em, mailbox.id, folder.id, ranges, kind === 'copy');
      const result: CopyResult = { uidValidity: target.uidValidity, sourceUids: [], targetUids: [] };
      if (emails.length === 0) return result;
      const modseq = await clock.of(mailbox);
      const first = await allocateUids(em, target, emails);
      for (const [i, email] of emails.entries()) {
        const uid = first + i;
        result.sourceUids.push(email.uid);
        result.targetUids.push(uid);
        if (kind === 'move') {
          await moveEmail(em, mailbox, email, target, clock, uid);
        } else {
          const usedBefore = mailbox.usedBytes;
          const copy = mailbox.copy(email, { folder: target, uid, modseq });
          em.persist(copy);
          await clock.record(mailbox, 'added', { folderId: target.id, uid, emailId: copy.id });
          recordMailboxEvent(
            em,
            'email.delivered',
            mailbox,
            { emailId: copy.id, folderId: target.id, uid, how: 'copied', copiedFrom: email.id },
            { modseq },
          );
          recordQuotaThresholds(em, mailbox, usedBefore, { modseq });
        }
      }
      return result;
    });
  }

  /** A write to one folder: the mailbox locked (owner, then its row), the folder found in it. */
  private onFolder<T>(
    input: { mailboxId: string; folderId: string },
    work: (em: EntityManager, mailbox: Mailbox, folder: Folder, clock: ModseqClock) => Promise<T>,
  ): Promise<T> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const folderId = checkId(input?.folderId, 'folder');
    return this.run(async (em) => {
      const found = await em.findOne(Mailbox, { id: mailboxId }, { populate: ['domain'] });
      if (!found) throw new NotFoundError('mailbox');
      const locked = (await lockMailboxes(em, [found])).get(mailboxId);
      if (!locked) throw new NotFoundError('mailbox');
      const folder = await em.findOne(Folder, { id: folderId, mailbox: mailboxId });
      if (!folder) throw new NotFoundError('folder');
      return work(em, locked.mailbox, folder, new ModseqClock(em));
    });
  }
}

async function highestModseq(em: EntityManager, mailboxId: string): Promise<number> {
  const state = await em.findOne(MailboxState, { mailbox: mailboxId });
  return state?.highestModseq ?? 0;
}

/** The emails of a folder in a UID set, in UID order; `*` is the largest UID in the folder. */
async function findByUids(
  em: EntityManager,
  mailboxId: string,
  folderId: string,
  ranges: UidRange[],
  withBody = false,
): Promise<Email[]> {
  let largest = 0;
  if (ranges.some(([, to]) => to === '*')) {
    const [last] = await em.find(
      Email,
      { mailbox: mailboxId, folder: [mailboxId, folderId] },
      { orderBy: { uid: 'desc' }, limit: 1, fields: ['uid'] },
    );
    largest = last?.uid ?? 0;
  }
  const bounds = ranges.map(([from, to]) =>
    to === '*' ? { $gte: Math.min(from, largest), $lte: Math.max(from, largest) } : { $gte: from, $lte: to },
  );
  return em.find(
    Email,
    { mailbox: mailboxId, folder: [mailboxId, folderId], $or: bounds.map((uid) => ({ uid })) },
    { orderBy: { uid: 'asc' }, ...(withBody ? { populate: ['body'] as const } : {}) },
  );
}

interface FetchRow {
  id: string;
  thread_id: string;
  uid: string;
  modseq: string;
  seen: boolean;
  answered: boolean;
  flagged: boolean;
  draft: boolean;
  deleted: boolean;
  keywords: string[];
  /** Milliseconds since the epoch (the connection hands timestamps over as text). */
  received_ms: string;
  size_bytes: number;
  content_hash: string;
  envelope: Envelope;
  structure: MimePart;
  attachments: AttachmentInfo[];
  raw?: Buffer;
}

/** What FETCH returns of the emails of a folder in a UID set, with their content, in UID order; one statement. */
async function fetchRows(
  em: EntityManager,
  mailboxId: string,
  folderId: string,
  ranges: UidRange[],
  raw: boolean,
): Promise<FetchRow[]> {
  const email = sqlTable(em, Email);
  const params: unknown[] = [mailboxId, folderId];
  // `*` is the largest UID in the folder (RFC 9051: n:* is *:n when n is larger)
  const largest = `(select max(l.uid) from ${email} l where l.mailbox_id = e.mailbox_id and l.folder_id = e.folder_id)`;
  const bounds = ranges.map(([from, to]) => {
    if (to !== '*') {
      params.push(from, to);
      return 'e.uid between ? and ?';
    }
    params.push(from, from);
    return `e.uid between least(?::bigint, ${largest}) and greatest(?::bigint, ${largest})`;
  });
  return readRows<FetchRow>(
    em,
    `select e.id, e.thread_id, e.uid, e.modseq, e.seen, e.answered, e.flagged, e.draft, e.deleted, e.keywords,
            floor(extract(epoch from e.received_at) * 1000) as received_ms, e.size_bytes, m.content_hash, m.envelope, m.structure, m.attachments${raw ? ', m.raw' : ''}
       from ${email} e join ${sqlTable(em, StoredMessage)} m on m.mailbox_id = e.mailbox_id and m.content_hash = e.content_hash
      where e.mailbox_id = ? and e.folder_id = ? and (${bounds.join(' or ')})
      order by e.uid`,
    params,
  );
}

function flagNames(email: Email): string[] {
  return [...SYSTEM_FLAGS.filter((f) => email[f]).map((f) => IMAP_SYSTEM_FLAGS[f]), ...email.keywords];
}

/**
 * Folds journal entries (in modseq order) into what changed in the folders themselves: created,
 * updated (renamed, subscribed), destroyed, or only their email (counts).
 */
export function replayFolderJournal(entries: Pick<MailChange, 'kind' | 'folderId' | 'folderEvent'>[]): MailboxChanges {
  const seen = new Map<string, { created: boolean; updated: boolean; destroyed: boolean; counts: boolean }>();
  for (const entry of entries) {
    const folder = seen.get(entry.folderId) ?? { created: false, updated: false, destroyed: false, counts: false };
    seen.set(entry.folderId, folder);
    if (entry.kind !== 'folder') folder.counts = true;
    else if (entry.folderEvent === 'created') folder.created = true;
    else if (entry.folderEvent === 'deleted') folder.destroyed = true;
    else folder.updated = true;
  }
  const result: MailboxChanges = { created: [], updated: [], destroyed: [], countsChanged: [] };
  for (const [id, f] of seen) {
    if (f.created && f.destroyed) continue;
    if (f.created) result.created.push(id);
    else if (f.destroyed) result.destroyed.push(id);
    else if (f.updated) result.updated.push(id);
    else if (f.counts) result.countsChanged.push(id);
  }
  for (const list of Object.values(result)) list.sort();
  return result;
}

/**
 * Folds journal entries (in modseq order) into what changed per folder: a UID added and expunged
 * since is reported as expunged only (a client may never have seen it; VANISHED may name it).
 */
export function replayJournal(entries: Pick<MailChange, 'kind' | 'folderId' | 'uid'>[]): Record<string, FolderChanges> {
  const state = new Map<string, Map<number, 'added' | 'changed' | 'expunged'>>();
  for (const entry of entries) {
    if (entry.kind === 'folder' || entry.uid === null) continue;
    const folder = state.get(entry.folderId) ?? new Map<number, 'added' | 'changed' | 'expunged'>();
    state.set(entry.folderId, folder);
    const before = folder.get(entry.uid);
    if (entry.kind === 'changed') folder.set(entry.uid, before === 'added' ? 'added' : 'changed');
    else folder.set(entry.uid, entry.kind);
  }
  const result: Record<string, FolderChanges> = {};
  for (const [folderId, uids] of state) {
    const pick = (kind: string) =>
      [...uids]
        .filter(([, k]) => k === kind)
        .map(([uid]) => uid)
        .sort((a, b) => a - b);
    result[folderId] = { added: pick('added'), changed: pick('changed'), expunged: pick('expunged') };
  }
  return result;
}
