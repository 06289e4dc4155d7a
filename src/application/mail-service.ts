import type { EntityManager } from '@mikro-orm/postgresql';
import { EmailAddress } from '../domain/email-address.js';
import { Email, type EmailFlags } from '../domain/email.js';
import { DELIVERY_RECEIPT_WINDOW_MS, DeliveryReceipt } from '../domain/delivery-receipt.js';
import { DomainError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors.js';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import type { OutboundMessage } from '../domain/outbound-message.js';
import type { User } from '../domain/user.js';
import { type Message, type MessageInput, toMessage } from '../domain/message.js';
import { recordMailboxEvent, recordQuotaThresholds } from './events/outbox.js';
import { type LockedInbox, placeInInbox, receiveCopies, receiveInInboxes, type StoredCopy } from './inbox-delivery.js';
import { queueOutbound } from './outbound-queue.js';
import {
  allocateUids,
  FolderCounters,
  ModseqClock,
  storeContent,
  storedContent,
  sweepContent,
} from './mail-counters.js';
import { decodeEmailCursor, encodeEmailCursor } from './keyset-cursor.js';
import { checkId, readScope, type ReadScope, loadActor, loadOwnedMailbox } from './loading.js';
import { lockMailboxes } from './locking.js';
import type { FolderPageReads } from './read-models.js';
import { RecipientRouter } from './recipient-router.js';
import { sqlTable } from './sql-table.js';
import { threadSourceOf, threadsOf } from './threading.js';
import type { UnitOfWork } from './unit-of-work.js';
import { type EmailSummary, type EmailView, toEmailSummary, toEmailView } from './views.js';

export interface DeliveryReport {
  /** One stored copy per local mailbox. */
  delivered: { mailboxId: string; address: string; emailId: string }[];
  /** External addresses that aliases forward to; the outbound relay takes it from here. */
  forwarded: string[];
  /** The outbound queue's entries this delivery (or send) recorded: one per external recipient. */
  queued: { id: string; recipient: string }[];
}

/** One envelope recipient's outcome in `deliverEach`: what it delivered, or the typed refusal. */
export interface RecipientOutcome {
  recipient: string;
  /** Set when the recipient was refused; nothing was stored for it. */
  error?: DomainError;
  /** The copies stored for it (none new when every mailbox already had this message: a retry). */
  delivered?: DeliveryReport['delivered'];
  /** External addresses its aliases forward to. */
  forwarded?: string[];
  /** The outbound queue's entries recorded for those forwards. */
  queued?: DeliveryReport['queued'];
}

export interface FolderPage {
  items: EmailSummary[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const MAX_PAGE_SIZE = 200;
export const MAX_BATCH_SIZE = 50_000;

/** Delivering, sending and handling email. Every operation names its mailbox. */
export class MailService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly pages: FolderPageReads,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  /**
   * Inbound mail for one or more recipients: each resolves through mailboxes, aliases and
   * catch-alls to local mailboxes, each of which stores one copy in its INBOX. All or nothing:
   * one refused recipient (unknown, unverified or suspended domain, suspended mailbox, quota)
   * refuses the delivery and stores nothing.
   */
  async deliverInbound(input: { recipients: string[]; message: MessageInput | Buffer }): Promise<DeliveryReport> {
    const recipients = parseRecipients(input?.recipients);
    const message = await toMessage(input?.message);
    return this.run(async (em) => {
      const { targets, forwarded, forwards } = await resolveRecipients(em, recipients, (recipient) => {
        throw noSuchRecipient(recipient);
      });
      const locked = await lockTargets(em, targets);
      const delivered = await receiveInInboxes(em, [...locked.values()], message);
      return { delivered, forwarded, queued: await queueForwards(em, forwards, message) };
    });
  }

  /**
   * LMTP's delivery (RFC 2033): one raw message, parsed once, for several envelope recipients,
   * each delivered on its own, so a refused recipient (unknown, over quota, suspended) does not
   * refuse the others. Idempotent per mailbox and message: a mailbox that received these very
   * bytes within DELIVERY_RECEIPT_WINDOW_MS stores nothing new — the MTA's retry after a lost
   * final reply is answered as delivered without a second copy. A recipient that fails for a
   * reason other than a domain rule (the database down) throws nothing here either: its outcome
   * carries the error, and the caller answers "try again later".
   */
  async deliverEach(input: { recipients: string[]; raw: Buffer | Uint8Array }): Promise<RecipientOutcome[]> {
    const recipients = Array.isArray(input?.recipients) ? input.recipients : [];
    if (recipients.length === 0 || recipients.length > MAX_ENVELOPE_RECIPIENTS) {
      throw new ValidationError(
        recipients.length === 0 ? 'INVALID_EMAIL_ADDRESS' : 'TOO_MANY_RECIPIENTS',
        `a delivery has 1–${MAX_ENVELOPE_RECIPIENTS} envelope recipients`,
      );
    }
    const [outcomes] = await this.deliverEachBatch([{ recipients, raw: input.raw }]);
    return outcomes!;
  }

  /**
   * `deliverEach` for several messages at once (an LMTP agent gathers the messages its
   * connections hand it while the previous batch is being stored): the same outcomes, message by
   * message. When every recipient of every message is accepted, the lot is stored in one unit of
   * work — a few statements for the batch instead of some fifteen per recipient. When any
   * recipient is refused, or an alias forwards outside, or anything fails, that unit of work
   * keeps nothing and each recipient is delivered in a unit of work of its own, as if alone: a
   * refusal is answered for its own recipient only. A message with no valid recipient list gets
   * a refusal for each recipient it names.
   */
  async deliverEachBatch(inputs: { recipients: string[]; raw: Buffer | Uint8Array }[]): Promise<RecipientOutcome[][]> {
    const outcomes: RecipientOutcome[][] = [];
    const pending: PendingCopy[] = [];
    for (const input of inputs) {
      const recipients = Array.isArray(input?.recipients) ? input.recipients : [];
      const own: RecipientOutcome[] = recipients.map((recipient) => ({ recipient }));
      outcomes.push(own);
      if (recipients.length > MAX_ENVELOPE_RECIPIENTS) {
        const error = new ValidationError(
          'TOO_MANY_RECIPIENTS',
          `a delivery has 1–${MAX_ENVELOPE_RECIPIENTS} envelope recipients`,
        );
        for (const outcome of own) outcome.error = error;
        continue;
      }
      let message: Message;
      try {
        message = await toMessage(input.raw);
      } catch (error) {
        // this message's recipients alone are answered: the others of the batch go on
        for (const outcome of own) outcome.error = deliveryError(error);
        continue;
      }
      for (const outcome of own) {
        try {
          pending.push({ outcome, address: EmailAddress.parse(outcome.recipient).value, message });
        } catch (error) {
          outcome.error = deliveryError(error);
        }
      }
    }
    if (pending.length > 1) {
      try {
        const results = await this.run((em) => receiveBatch(em, pending));
        for (const [i, result] of results.entries()) Object.assign(pending[i]!.outcome, result);
        return outcomes;
      } catch {
        // one by one below: each recipient gets its own answer (a refusal, or a delivery)
      }
    }
    for (const { outcome, address, message } of pending) {
      try {
        Object.assign(outcome, await this.run((em) => receiveOnce(em, address, message)));
      } catch (error) {
        outcome.error = deliveryError(error);
      }
    }
    return outcomes;
  }

  /**
   * Many inbound messages for one mailbox in one unit of work (imports, migrations, bulk
   * delivery): one lock, one batched insert, quota checked for every message.
   */
  async deliverMany(
    mailboxAddress: string,
    messages: (MessageInput | Buffer)[],
  ): Promise<{ mailboxId: string; emailIds: string[] }> {
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > MAX_BATCH_SIZE) {
      throw new ValidationError('INVALID_MESSAGE', `a batch holds 1–${MAX_BATCH_SIZE} messages`);
    }
    const address = EmailAddress.parse(mailboxAddress).value;
    // Array.from visits the holes of a sparse array too: each is refused as "not a message"
    const parsed: Message[] = [];
    for (const m of Array.from(messages)) parsed.push(await toMessage(m));
    return this.run(async (em) => {
      const found = await em.findOne(Mailbox, { address }, { populate: ['domain'] });
      if (!found) throw noSuchRecipient(address);
      const { mailbox, inbox } = (await lockTargets(em, new Map([[found.id, found]]))).get(found.id)!;
      const now = new Date();
      const clock = new ModseqClock(em);
      const modseq = await clock.of(mailbox);
      const usedBefore = mailbox.usedBytes;
      const first = await allocateUids(
        em,
        inbox,
        parsed.map((m) => ({ seen: false, sizeBytes: m.sizeBytes })),
      );
      await storeContent(em, [mailbox], parsed);
      const emails = await placeInInbox(em, clock, { mailbox, inbox }, parsed, first, now);
      // one event for the batch (a 50,000-message import is not 50,000 events): its UID range
      recordMailboxEvent(
        em,
        'email.delivered',
        mailbox,
        { folderId: inbox.id, count: emails.length, firstUid: first, lastUid: first + emails.length - 1 },
        { modseq },
      );
      recordQuotaThresholds(em, mailbox, usedBefore, { modseq });
      return { mailboxId: found.id, emailIds: emails.map((e) => e.id) };
    });
  }

  /**
   * Sends from a mailbox: a copy goes to its Sent folder, local recipients get theirs delivered in
   * the same unit of work, and each external one gets an entry in the outbound queue (`aether.outbound`). Like receiving,
   * sending needs a verified, active domain and an active mailbox (and an active owner, the actor).
   */
  async send(
    actorId: string,
    mailboxId: string,
    input: Omit<MessageInput, 'from'> | Buffer,
  ): Promise<DeliveryReport & { sentId: string }> {
    if (typeof input !== 'object' || input === null)
      throw new ValidationError('INVALID_MESSAGE', 'a message must be an object');
    const raw = input instanceof Uint8Array ? await toMessage(input) : null;
    return this.run(async (em) => {
      const found = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      found.assertSends();
      const message = raw ?? (await toMessage({ ...(input as Omit<MessageInput, 'from'>), from: found.address }));
      if (raw && message.from !== found.address) {
        throw new ValidationError(
          'INVALID_MESSAGE',
          `a message sent from ${found.address} says it is From ${message.from || 'nobody'}`,
        );
      }
      // addresses no mailbox or alias here takes go to the outbound relay
      const outbound: string[] = [];
      const bcc = raw ? raw.envelope.bcc.map((a) => a.address) : [];
      const { targets, forwarded } = await resolveRecipients(
        em,
        parseRecipients([...message.to, ...message.cc, ...bcc]),
        (r) => outbound.push(r),
      );
      const external = [...new Set([...outbound, ...forwarded])];
      const locked = await lockMailboxes(em, [found, ...targets.values()]);
      const sender = locked.get(found.id)?.mailbox;
      if (!sender) throw new NotFoundError('mailbox');
      assertStillThere(targets, locked);
      await em.populate(sender, ['folders']);
      const clock = new ModseqClock(em);
      await storeContent(em, [sender], [message]);
      const content = storedContent(em, sender, message.contentHash);
      const sentFolder = sender.folder('sent');
      const sentUid = await allocateUids(em, sentFolder, [{ seen: true, sizeBytes: message.sizeBytes }]);
      const threads = threadsOf(em, sender);
      const [thread] = await threads.place([threadSourceOf(message)], clock);
      const sent = sender.send(
        message,
        content,
        { folder: sentFolder, uid: sentUid, modseq: await clock.of(sender) },
        new Date(),
        thread,
      );
      threads.adopt([sent]);
      em.persist(sent);
      const sentModseq = await clock.record(sender, 'added', {
        folderId: sentFolder.id,
        uid: sent.uid,
        emailId: sent.id,
      });
      recordMailboxEvent(
        em,
        'email.sent',
        sender,
        { emailId: sent.id, folderId: sentFolder.id, uid: sent.uid },
        { modseq: sentModseq },
      );
      const delivered = await receiveInInboxes(
        em,
        [...locked.values()].filter(({ mailbox }) => targets.has(mailbox.id)),
        message,
        clock,
      );
      // one queue entry per external recipient, bounced (if it comes to that) into the sender's INBOX
      const queued = await queueOutbound(em, {
        tenant: sender.domain.owner,
        senderMailbox: sender,
        envelopeSender: sender.address,
        recipients: external,
        message,
      });
      return { sentId: sent.id, delivered, forwarded: external, queued: queued.map(toQueued) };
    });
  }

  /** A page of a folder, newest first, by keyset (stable while mail arrives, fast at any depth). */
  async listFolderPage(
    actorId: string,
    input: {
      mailboxId: string;
      folderId: string;
      limit?: number;
      cursor?: string | null;
    },
  ): Promise<FolderPage> {
    const limit = input?.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new ValidationError('INVALID_CURSOR', `a page holds 1–${MAX_PAGE_SIZE} messages`);
    }
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    const folderId = checkId(input?.folderId, 'folder');
    const after = input?.cursor ? decodeEmailCursor(input?.cursor) : undefined;
    const actingUserId = checkId(actorId, 'acting user');
    return this.run(async (em) => {
      // ownership and the actor's being active are part of the filter (email.user is the domain
      // owner): one query per page, and only an empty page needs to find out why
      const rows = await this.pages.folderPage(em, { mailboxId, folderId, actingUserId, limit: limit + 1, after });
      if (rows.length === 0) await assertFolderVisible(em, (await loadActor(em, actorId)).id, mailboxId, folderId);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeEmailCursor(last) : null,
      };
    }, this.reads(actorId));
  }

  /** The whole email, body included; marks it seen. */
  async read(actorId: string, mailboxId: string, emailId: string): Promise<EmailView> {
    return this.onEmail(
      actorId,
      mailboxId,
      emailId,
      true,
      async (mailbox, email, em) => {
        const wasSeen = email.seen;
        if (email.setFlags({ seen: true })) await recordChange(em, mailbox, email, wasSeen);
        return toEmailView(email);
      },
      true,
    );
  }

  async flag(actorId: string, mailboxId: string, emailId: string, flags: Partial<EmailFlags>): Promise<EmailSummary> {
    return this.onEmail(actorId, mailboxId, emailId, true, async (mailbox, email, em) => {
      const wasSeen = email.seen;
      if (email.setFlags(flags)) await recordChange(em, mailbox, email, wasSeen);
      return toEmailSummary(email);
    });
  }

  async move(actorId: string, mailboxId: string, emailId: string, folderId: string): Promise<EmailSummary> {
    const target = checkId(folderId, 'folder');
    return this.onEmail(actorId, mailboxId, emailId, true, async (mailbox, email, em) => {
      const folder = await em.findOne(Folder, { id: target, mailbox });
      if (!folder) throw new NotFoundError('folder');
      await moveEmail(em, mailbox, email, folder);
      return toEmailSummary(email);
    });
  }

  /** "Delete" as people mean it: into Trash. Purge deletes for good. */
  async trash(actorId: string, mailboxId: string, emailId: string): Promise<EmailSummary> {
    return this.onEmail(actorId, mailboxId, emailId, true, async (mailbox, email, em) => {
      const trash = await em.findOneOrFail(Folder, {
        mailbox,
        role: 'trash',
      });
      await moveEmail(em, mailbox, email, trash);
      return toEmailSummary(email);
    });
  }

  /** Deletes an email for good and frees its bytes from the quota, in one unit of work. */
  async purge(actorId: string, mailboxId: string, emailId: string): Promise<void> {
    await this.onEmail(actorId, mailboxId, emailId, true, async (mailbox, email, em) => {
      await removeEmails(em, mailbox, [email]);
    });
  }

  private async onEmail<T>(
    actorId: string,
    mailboxId: string,
    emailId: string,
    lockMailbox: boolean,
    work: (mailbox: Mailbox, email: Email, em: EntityManager) => T | Promise<T>,
    withBody = false,
  ): Promise<T> {
    const id = checkId(emailId, 'email');
    return this.run(
      async (em) => {
        // the mailbox lock comes first, so the email read after it is current (a concurrent purge is
        // seen); every change takes it, as the mailbox's modseq (its state row) is raised after it
        const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, lockMailbox);
        const email = await em.findOne(Email, { mailbox, id }, withBody ? { populate: ['body'] } : {});
        if (!email) throw new NotFoundError('email');
        return work(mailbox, email, em);
      },
      { ...this.reads(actorId), readOnly: false },
    );
  }
}

/** Postfix's default for one message (smtpd_recipient_limit); an LMTP agent answers 452 beyond it. */
export const MAX_ENVELOPE_RECIPIENTS = 1_000;

function parseRecipients(recipients: string[]): string[] {
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new ValidationError('INVALID_EMAIL_ADDRESS', 'a delivery needs at least one recipient');
  }
  if (recipients.length > MAX_ENVELOPE_RECIPIENTS) {
    throw new ValidationError(
      'TOO_MANY_RECIPIENTS',
      `a delivery has at most ${MAX_ENVELOPE_RECIPIENTS} envelope recipients; send the rest in another`,
    );
  }
  return [...new Set(Array.from(recipients, (r) => EmailAddress.parse(r).value))];
}

const noSuchRecipient = (recipient: string) =>
  new RuleViolationError('NO_SUCH_RECIPIENT', `no mailbox or alias here takes mail for ${recipient}`);

/**
 * A recipient's answer when its delivery failed: the refusal itself, or (for a fault that is no
 * verdict: a bug, a crash in a parser) DELIVERY_FAILED with the fault as its cause. Nothing is
 * stored either way; the fault ends this recipient's delivery only, never its batch's.
 */
function deliveryError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  return new DomainError('DELIVERY_FAILED', 'the delivery failed unexpectedly; nothing was stored, try again later', {
    cause: error,
  });
}

/** External addresses an alias forwards to, by the user the alias's domain belongs to (who sends them). */
type Forwards = Map<User, Set<string>>;

/** Resolves recipients to local mailboxes (each once) and external forwards; `unknown` handles the rest. */
async function resolveRecipients(
  em: EntityManager,
  recipients: string[],
  unknown: (recipient: string) => void,
): Promise<{ targets: Map<string, Mailbox>; forwarded: string[]; forwards: Forwards; forwarders: Forwarder[] }> {
  const targets = new Map<string, Mailbox>();
  const forwarded = new Set<string>();
  const forwards: Forwards = new Map();
  const forwarders: Forwarder[] = [];
  const router = new RecipientRouter(em);
  for (const [recipient, resolution] of await router.resolveAll(recipients)) {
    if (!resolution) {
      unknown(recipient);
      continue;
    }
    for (const mailbox of resolution.mailboxes) targets.set(mailbox.id, mailbox);
    if (resolution.external.length === 0) continue;
    // the recipient's own entry (cached by the walk): its domain's owner forwards the mail
    const entry = (await router.entryFor(recipient))!;
    const tenant = entry.domain.owner;
    forwarders.push({ id: entry.id, ownerId: tenant.id });
    const addresses = forwards.get(tenant) ?? new Set<string>();
    forwards.set(tenant, addresses);
    for (const address of resolution.external) {
      forwarded.add(address);
      addresses.add(address);
    }
  }
  return { targets, forwarded: [...forwarded], forwards, forwarders };
}

const toQueued = (entry: OutboundMessage) => ({ id: entry.id, recipient: entry.recipient });

/**
 * Queues the external forwards of an inbound message for the outbound relay, as sent by each
 * forwarding domain's owner, with the message's From as envelope sender (no sender rewriting):
 * a bounce of a forwarded message is recorded on its entry, and no local INBOX receives it.
 */
async function queueForwards(em: EntityManager, forwards: Forwards, message: Message) {
  if (forwards.size === 0) return [];
  const queued: OutboundMessage[] = [];
  for (const [tenant, recipients] of forwards) {
    queued.push(
      ...(await queueOutbound(em, {
        tenant,
        senderMailbox: null,
        envelopeSender: message.from,
        recipients: [...recipients],
        message,
      })),
    );
  }
  return queued.map(toQueued);
}

/**
 * Locks the mailboxes that recipients resolved to, and re-checks them once locked: one deleted
 * since it was resolved (with its owner or on its own) refuses the delivery instead of leaving
 * it with nowhere to store its copy.
 */
async function lockTargets(em: EntityManager, targets: Map<string, Mailbox>) {
  const locked = await lockMailboxes(em, [...targets.values()]);
  assertStillThere(targets, locked);
  return locked;
}

function assertStillThere(targets: Map<string, Mailbox>, locked: Map<string, unknown>): void {
  for (const [id, mailbox] of targets) if (!locked.has(id)) throw noSuchRecipient(mailbox.address);
}

/**
 * One recipient of an idempotent delivery: resolved, its mailboxes locked, and a copy stored in
 * each that has no receipt for this message within the window (`freshCopies`).
 */
async function receiveOnce(
  em: EntityManager,
  recipient: string,
  message: Message,
): Promise<Pick<RecipientOutcome, 'delivered' | 'forwarded' | 'queued'>> {
  const { targets, forwarded, forwards, forwarders } = await resolveRecipients(em, [recipient], (r) => {
    throw noSuchRecipient(r);
  });
  const locked = await lockTargets(em, targets);
  const queued = await queueForwardsOnce(em, forwarders[0], forwards, message);
  const fresh = await freshCopies(
    em,
    [...locked.values()].map((l) => ({ ...l, message })),
  );
  return { delivered: await receiveCopies(em, fresh), forwarded, queued };
}

/** A recipient of `deliverEachBatch` waiting for its outcome, with its message. */
interface PendingCopy {
  outcome: RecipientOutcome;
  address: string;
  message: Message;
}

/**
 * Every recipient of a batch of idempotent deliveries in one unit of work: resolved together,
 * their mailboxes locked together, and each copy stored unless a receipt covers it. Throws
 * (and the caller goes recipient by recipient) when any recipient is refused or forwards outside:
 * forwards are queued once per recipient by `receiveOnce`.
 */
async function receiveBatch(
  em: EntityManager,
  pending: PendingCopy[],
): Promise<Pick<RecipientOutcome, 'delivered' | 'forwarded' | 'queued'>[]> {
  const resolved = await new RecipientRouter(em).resolveAll([...new Set(pending.map((p) => p.address))]);
  const targets = new Map<string, Mailbox>();
  for (const { address } of pending) {
    const resolution = resolved.get(address);
    if (!resolution) throw noSuchRecipient(address);
    if (resolution.external.length > 0) throw new Error(`${address} forwards outside: delivered on its own`);
    for (const mailbox of resolution.mailboxes) targets.set(mailbox.id, mailbox);
  }
  const locked = await lockTargets(em, targets);
  const fresh = await freshCopies(
    em,
    pending.flatMap(({ address, message }, recipient) =>
      resolved.get(address)!.mailboxes.map((mailbox) => ({ ...locked.get(mailbox.id)!, message, recipient })),
    ),
  );
  const stored = await receiveCopies(em, fresh);
  const results = pending.map(() => ({ delivered: [] as StoredCopy[], forwarded: [], queued: [] }));
  for (const [i, copy] of fresh.entries()) results[copy.recipient]!.delivered.push(stored[i]!);
  return results;
}

/**
 * The copies to store: those without a receipt for their message within the window, each (mailbox,
 * message) once. Receipts are read and written under the mailboxes' row locks, so two deliveries
 * of the same message to one mailbox (a retry racing the original) store one copy between them;
 * the mailboxes' receipts past the window are pruned on the way.
 */
async function freshCopies<T extends LockedInbox & { message: Message }>(em: EntityManager, wanted: T[]): Promise<T[]> {
  if (wanted.length === 0) return [];
  const now = new Date();
  const ids = [...new Set(wanted.map((w) => w.mailbox.id))];
  const hashes = [...new Set(wanted.map((w) => w.message.contentHash))];
  const receipts = await em.find(DeliveryReceipt, {
    mailbox: { $in: ids },
    contentHash: hashes.length === 1 ? hashes[0]! : { $in: hashes },
  });
  const byCopy = new Map(receipts.map((r) => [`${r.mailbox.id} ${r.contentHash}`, r]));
  const fresh = wanted.filter(({ mailbox, message }) => {
    const key = `${mailbox.id} ${message.contentHash}`;
    const receipt = byCopy.get(key);
    if (receipt?.coversRetryAt(now)) return false;
    if (receipt) receipt.renew(now);
    else {
      const made = new DeliveryReceipt({ mailbox, contentHash: message.contentHash, now });
      em.persist(made);
      byCopy.set(key, made);
    }
    return true;
  });
  await em.nativeDelete(DeliveryReceipt, {
    mailbox: { $in: ids },
    deliveredAt: { $lt: new Date(now.getTime() - DELIVERY_RECEIPT_WINDOW_MS) },
    contentHash: hashes.length === 1 ? { $ne: hashes[0]! } : { $nin: hashes },
  });
  return fresh;
}

/** The address row (an alias or catch-all) whose forwards a receipt keys, and its domain's owner. */
interface Forwarder {
  id: string;
  ownerId: string;
}

/**
 * The external forwards of one recipient of an idempotent delivery, queued once per message within
 * DELIVERY_RECEIPT_WINDOW_MS: the receipt is keyed by the recipient's own address row (its alias
 * or catch-all) and taken by one upsert, so a retry racing the original waits for it and then
 * queues nothing. Receipts of that address past the window are pruned on the way.
 */
async function queueForwardsOnce(
  em: EntityManager,
  forwarder: Forwarder | undefined,
  forwards: Forwards,
  message: Message,
): Promise<DeliveryReport['queued']> {
  if (!forwarder || forwards.size === 0) return [];
  const table = sqlTable(em, DeliveryReceipt);
  const window = DELIVERY_RECEIPT_WINDOW_MS / 1000;
  const run = <T>(sql: string, params: unknown[]) =>
    em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
  const [receipt] = await run<{ fresh: boolean }>(
    `insert into ${table} as r (mailbox_id, owner_id, content_hash, delivered_at) values (?, ?, ?, now())
     on conflict (mailbox_id, content_hash) do update set delivered_at =
       case when r.delivered_at <= now() - make_interval(secs => ?) then now() else r.delivered_at end
     returning delivered_at = now() as fresh`,
    [forwarder.id, forwarder.ownerId, message.contentHash, window],
  );
  await run(
    `delete from ${table} where mailbox_id = ? and content_hash <> ? and delivered_at < now() - make_interval(secs => ?)`,
    [forwarder.id, message.contentHash, window],
  );
  return receipt!.fresh ? queueForwards(em, forwards, message) : [];
}

/**
 * A flag or keyword change: the email takes the unit of work's modseq and the journal says so; its
 * folder's unseen count follows a change of \Seen from `wasSeen`.
 */
export async function recordChange(
  em: EntityManager,
  mailbox: Mailbox,
  email: Email,
  wasSeen: boolean,
  clock = new ModseqClock(em),
) {
  FolderCounters.of(em).seenChanged(email, wasSeen);
  const modseq = await clock.record(mailbox, 'changed', {
    folderId: email.folder.id,
    uid: email.uid,
    emailId: email.id,
  });
  email.markChanged(modseq);
  recordMailboxEvent(
    em,
    'email.flags_changed',
    mailbox,
    { emailId: email.id, folderId: email.folder.id, uid: email.uid },
    { modseq },
  );
}

/** A move: a new UID in the target, an expunge in the source and an add in the target, journalled. */
export async function moveEmail(
  em: EntityManager,
  mailbox: Mailbox,
  email: Email,
  target: Folder,
  clock = new ModseqClock(em),
  uid?: number,
): Promise<{ from: number; to: number }> {
  const from = email.uid;
  if (email.folder.id === target.id && uid === undefined) return { from, to: from };
  const modseq = await clock.record(mailbox, 'expunged', {
    folderId: email.folder.id,
    uid: email.uid,
    emailId: email.id,
  });
  // the source loses the email here; the target counts it with the UID (the caller's, when it gave one)
  FolderCounters.of(em).leaving(email);
  const to = uid ?? (await allocateUids(em, target, [email]));
  const fromFolderId = email.folder.id;
  mailbox.move(email, { folder: target, uid: to, modseq });
  await clock.record(mailbox, 'added', { folderId: target.id, uid: to, emailId: email.id });
  recordMailboxEvent(
    em,
    'email.moved',
    mailbox,
    { emailId: email.id, fromFolderId, toFolderId: target.id, uid: to },
    { modseq },
  );
  return { from, to };
}

/**
 * Deletes emails for good: frees their bytes, journals them as expunged, and removes the stored
 * messages no copy refers to any more. The caller holds the mailbox's row lock.
 */
export async function removeEmails(em: EntityManager, mailbox: Mailbox, emails: Email[], clock = new ModseqClock(em)) {
  const byFolder = new Map<string, string[]>();
  const counters = FolderCounters.of(em);
  let modseq = 0;
  for (const email of emails) {
    mailbox.purge(email);
    counters.leaving(email);
    em.remove(email);
    modseq = await clock.record(mailbox, 'expunged', { folderId: email.folder.id, uid: email.uid, emailId: email.id });
    byFolder.set(email.folder.id, [...(byFolder.get(email.folder.id) ?? []), email.id]);
  }
  // one event per folder, as IMAP's VANISHED and JMAP's changes see them
  for (const [folderId, emailIds] of byFolder) {
    recordMailboxEvent(em, 'email.expunged', mailbox, { folderId, emailIds }, { modseq });
  }
  await sweepContent(
    em,
    mailbox.id,
    emails.map((e) => e.content.contentHash),
  );
}

async function assertFolderVisible(
  em: EntityManager,
  actorId: string,
  mailboxId: string,
  folderId: string,
): Promise<void> {
  const folder = await em.findOne(Folder, {
    id: folderId,
    mailbox: { id: mailboxId, domain: { owner: actorId } },
  });
  if (!folder) throw new NotFoundError('folder');
}
