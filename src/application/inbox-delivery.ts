/**
 * Storing inbound copies: each (locked) mailbox's INBOX receives the message under a new UID and
 * the mailbox's modseq, threaded and journalled, with one event per copy. Set-oriented: any number
 * of copies of any number of messages (one delivery to several mailboxes, or a batch of LMTP
 * deliveries) costs one statement for the bytes, one for the modseqs and UIDs, and one for the
 * threading lookups; the unit of work's flush writes the rest in batches.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Email } from '../domain/email.js';
import type { Folder } from '../domain/folder.js';
import type { Mailbox } from '../domain/mailbox.js';
import type { Message } from '../domain/message.js';
import { recordMailboxEvent, recordQuotaThresholds } from './events/outbox.js';
import { ModseqClock, storeContentIn, storedContent } from './mail-counters.js';
import { prefetchThreads, threadSourceOf, threadsOf } from './threading.js';

/** A mailbox whose row lock the unit of work holds, with its INBOX (as `lockMailboxes` gives them). */
export interface LockedInbox {
  mailbox: Mailbox;
  inbox: Folder;
}

/** A copy stored: which mailbox, and the new email's id. */
export interface StoredCopy {
  mailboxId: string;
  address: string;
  emailId: string;
}

/** One copy of `message` into the INBOX of each mailbox; the bytes stored once per mailbox. */
export async function receiveInInboxes(
  em: EntityManager,
  locked: LockedInbox[],
  message: Message,
  clock = new ModseqClock(em),
): Promise<StoredCopy[]> {
  return receiveCopies(
    em,
    locked.map((l) => ({ ...l, message })),
    clock,
  );
}

/**
 * Stores each copy (a message into a locked mailbox's INBOX) and returns them in the order given.
 * Copies into one mailbox take consecutive UIDs in that order, and one modseq (the unit of work's).
 */
export async function receiveCopies(
  em: EntityManager,
  copies: (LockedInbox & { message: Message })[],
  clock = new ModseqClock(em),
): Promise<StoredCopy[]> {
  // no mailbox here takes it (a forward only): nothing to store, the queue keeps its own bytes
  if (copies.length === 0) return [];
  const byMailbox = new Map<string, (LockedInbox & { message: Message })[]>();
  for (const copy of copies) byMailbox.set(copy.mailbox.id, [...(byMailbox.get(copy.mailbox.id) ?? []), copy]);
  const mailboxes = [...byMailbox.keys()].sort().map((id) => byMailbox.get(id)!);
  await storeContentIn(em, copies);
  const firstUids = await clock.withUids(
    mailboxes.map(([first]) => first!.mailbox),
    mailboxes.map((own) => ({
      folder: own[0]!.inbox,
      arriving: own.map(({ message }) => ({ seen: false, sizeBytes: message.sizeBytes })),
    })),
  );
  // every mailbox's threading lookups in one round trip
  await prefetchThreads(
    em,
    mailboxes.map((own) => ({ mailbox: own[0]!.mailbox, sources: own.map(({ message }) => threadSourceOf(message)) })),
  );
  const stored = new Map<LockedInbox & { message: Message }, StoredCopy>();
  const now = new Date();
  for (const own of mailboxes) {
    const { mailbox, inbox } = own[0]!;
    const modseq = await clock.of(mailbox);
    const first = firstUids.get(inbox.id)!;
    const usedBefore = mailbox.usedBytes;
    const emails = await placeInInbox(
      em,
      clock,
      { mailbox, inbox },
      own.map((c) => c.message),
      first,
      now,
    );
    for (const [i, email] of emails.entries()) {
      recordMailboxEvent(
        em,
        'email.delivered',
        mailbox,
        { emailId: email.id, folderId: inbox.id, uid: email.uid },
        { modseq },
      );
      stored.set(own[i]!, { mailboxId: mailbox.id, address: mailbox.address, emailId: email.id });
    }
    recordQuotaThresholds(em, mailbox, usedBefore, { modseq });
  }
  return copies.map((copy) => stored.get(copy)!);
}

/**
 * The emails of `messages` in a locked mailbox's INBOX, under UIDs from `first` (taken by the
 * caller) and the unit of work's modseq: threaded, persisted and journalled. Events are the
 * caller's: one per copy for deliveries, one per batch for imports.
 */
export async function placeInInbox(
  em: EntityManager,
  clock: ModseqClock,
  { mailbox, inbox }: LockedInbox,
  messages: Message[],
  first: number,
  now: Date,
): Promise<Email[]> {
  const modseq = await clock.of(mailbox);
  const threads = threadsOf(em, mailbox);
  const placed = await threads.place(messages.map(threadSourceOf), clock);
  const emails = messages.map((message, i) =>
    mailbox.receive(
      message,
      storedContent(em, mailbox, message.contentHash),
      { folder: inbox, uid: first + i, modseq },
      now,
      placed[i],
    ),
  );
  threads.adopt(emails);
  em.persist(emails);
  for (const email of emails)
    await clock.record(mailbox, 'added', { folderId: inbox.id, uid: email.uid, emailId: email.id });
  return emails;
}
