/**
 * The outbound queue, for the relay that sends mail to other servers (`aether.outbound`). The
 * relay claims due entries for a lease, delivers them over SMTP, and reports each outcome. Each
 * method is one unit of work; every rule about an entry's life is the entity's (and the table's).
 *
 * Principal: the relay is trusted like the LMTP agent (it acts for the platform, not for a user):
 * no acting user, no row security.
 *
 * Locks: a claim takes the rows it returns (`for update skip locked`: claimers never wait for, nor
 * take, each other's rows). Outcomes lock the entry's row; a bounce first locks the sender's
 * mailbox (5 in the order of locking.ts) and only then the entry, which comes after the mailbox
 * rows in that order (a mailbox's deletion updates its entries after locking its row).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { composeBounce } from '../domain/delivery-status-notification.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { Mailbox } from '../domain/mailbox.js';
import { toMessage } from '../domain/message.js';
import {
  CLAIMABLE_STATUSES,
  DEFAULT_OUTBOUND_RETRY,
  MAX_OUTBOUND_ERROR_LENGTH,
  MAX_RELAY_ID_LENGTH,
  OutboundMessage,
  type OutboundRetryPolicy,
} from '../domain/outbound-message.js';
import { recordUserEvent } from './events/outbox.js';
import { checkId } from './loading.js';
import { lockMailboxes } from './locking.js';
import { receiveInInboxes } from './inbox-delivery.js';
import { sqlTable } from './sql-table.js';
import { databaseNow } from './outbound-queue.js';
import type { UnitOfWork } from './unit-of-work.js';

/** The most entries one claim returns (each with its raw message: the relay's memory is the bound). */
export const MAX_CLAIM_BATCH = 500;
/** Leases run from 1 second to a day. */
export const MAX_LEASE_SECONDS = 86_400;
export const DEFAULT_LEASE_SECONDS = 300;
/** How long finished entries are kept by default (what was sent to whom, and how it went). */
export const OUTBOUND_RETENTION_DAYS = 30;

/** A claimed entry: what the relay needs to send it, and the attempt number that fences its outcome. */
export interface ClaimedMessage {
  id: string;
  /** This claim's number: pass it back with the outcome (`{ id, attempt }`). */
  attempt: number;
  /** MAIL FROM ('' for the null sender). */
  envelopeSender: string;
  /** RCPT TO. */
  recipient: string;
  /** The message as stored (SHA-256 of its bytes). */
  contentHash: string;
  raw: Buffer;
  queuedAt: Date;
  /** After this the entry may be claimed again by anyone; report before it. */
  leaseExpiresAt: Date;
}

/** Names one claim of one entry: the entry and the attempt the claim returned. */
export interface OutboundTicket {
  id: string;
  attempt: number;
}

export interface OutboundOutcome {
  id: string;
  status: 'delivered' | 'deferred' | 'bounced';
  attempts: number;
  /** When a deferred entry is due again. */
  nextAttemptAt: Date | null;
  /** The delivery status notification stored in the sender's INBOX, for a bounce; null when none could be. */
  notificationEmailId: string | null;
}

const invalid = (message: string) => new ValidationError('INVALID_CLAIM', message);

function checkRelayId(relayId: unknown): string {
  if (typeof relayId !== 'string' || !/^[\x21-\x7e]+$/.test(relayId) || relayId.length > MAX_RELAY_ID_LENGTH) {
    throw invalid(`relayId is 1–${MAX_RELAY_ID_LENGTH} printable characters without spaces`);
  }
  return relayId;
}

function checkWhole(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${what} is a whole number from ${min} to ${max}`);
  }
  return value;
}

function checkTicket(ticket: unknown): OutboundTicket {
  if (typeof ticket !== 'object' || ticket === null) throw invalid('a ticket is { id, attempt }');
  const { id, attempt } = ticket as Partial<OutboundTicket>;
  return {
    id: checkId(id, 'outbound message'),
    attempt: checkWhole(attempt, 'attempt', 1, Number.MAX_SAFE_INTEGER),
  };
}

/** A relay's diagnostic as kept: one line of text (control characters become spaces), cut at the limit. */
function checkError(error: unknown): string {
  if (typeof error !== 'string') throw invalid('the error is the relay diagnostic, as text');
  const text = error
    .replace(/[\p{Cc}\p{Cs}]+/gu, ' ')
    .trim()
    .slice(0, MAX_OUTBOUND_ERROR_LENGTH);
  if (text === '') throw invalid('the error says what went wrong (an SMTP reply, say)');
  return text;
}

export class OutboundService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly retry: OutboundRetryPolicy = DEFAULT_OUTBOUND_RETRY,
  ) {}

  /**
   * Claims up to `limit` due entries (oldest due first) for `leaseSeconds`: queued ones, deferred
   * ones whose backoff has passed, and claimed ones whose lease ended (their claimer is presumed
   * dead). Each claim is a new attempt. Several relays may claim at once: rows another claimer is
   * taking are skipped, never waited for, and never returned twice.
   */
  async claim(input: { relayId: string; limit?: number; leaseSeconds?: number }): Promise<ClaimedMessage[]> {
    const relayId = checkRelayId(input?.relayId);
    const limit = checkWhole(input?.limit ?? 50, 'limit', 1, MAX_CLAIM_BATCH);
    const lease = checkWhole(input?.leaseSeconds ?? DEFAULT_LEASE_SECONDS, 'leaseSeconds', 1, MAX_LEASE_SECONDS);
    return this.run(async (em) => {
      const now = await databaseNow(em);
      const due = await em.find(
        OutboundMessage,
        { status: { $in: [...CLAIMABLE_STATUSES] }, nextAttemptAt: { $lte: now } },
        { orderBy: { nextAttemptAt: 'asc', id: 'asc' }, limit, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      if (due.length === 0) return [];
      await em.populate(due, ['raw']);
      return due.map((entry) => {
        const attempt = entry.claim(relayId, now, lease);
        return {
          id: entry.id,
          attempt,
          envelopeSender: entry.envelopeSender,
          recipient: entry.recipient,
          contentHash: entry.contentHash!,
          raw: Buffer.from(entry.raw!),
          queuedAt: entry.queuedAt,
          leaseExpiresAt: entry.nextAttemptAt,
        };
      });
    });
  }

  /**
   * The relay handed these to the next server. All or nothing: a ticket whose claim was lost
   * (CLAIM_LOST: its lease ended and another relay took the entry over, or it is finished) refuses
   * the call and nothing is marked; report the others again without it.
   */
  async delivered(tickets: OutboundTicket[]): Promise<OutboundOutcome[]> {
    if (!Array.isArray(tickets) || tickets.length === 0 || tickets.length > MAX_CLAIM_BATCH) {
      throw invalid(`delivered takes 1–${MAX_CLAIM_BATCH} tickets`);
    }
    const checked = Array.from(tickets, checkTicket);
    if (new Set(checked.map((t) => t.id)).size !== checked.length) throw invalid('each entry once');
    return this.run(async (em) => {
      const now = await databaseNow(em);
      const entries = await em.find(
        OutboundMessage,
        { id: { $in: checked.map((t) => t.id) } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' }, refresh: true },
      );
      const byId = new Map(entries.map((e) => [e.id, e]));
      const outcomes: OutboundOutcome[] = [];
      for (const { id, attempt } of checked) {
        const entry = byId.get(id);
        if (!entry) throw new NotFoundError('outbound message');
        entry.delivered(attempt, now);
        recordUserEvent(em, 'outbound.delivered', entry.tenant, eventData(entry));
        outcomes.push(outcomeOf(entry));
      }
      return outcomes;
    });
  }

  /**
   * A temporary failure (an SMTP 4xx, a connection refused): the entry is due again after the
   * backoff (`retryDelaySeconds`: doubling from the policy's first delay up to its maximum) —
   * unless this was its last allowed attempt or it is older than the policy's age, when it
   * bounces as `bounced` would, with this error.
   */
  async deferred(ticket: OutboundTicket, error: string): Promise<OutboundOutcome> {
    return this.outcome(checkTicket(ticket), 'deferred', checkError(error));
  }

  /**
   * A permanent failure (an SMTP 5xx): the entry is finished, and a delivery status notification
   * (RFC 3464) goes into the INBOX of the mailbox that sent it, through the store like any
   * delivery (UID, modseq, journal, quota, events). When that mailbox cannot take it — deleted,
   * suspended, its domain out of service, its quota full — or the mail was forwarded (no mailbox
   * here sent it), the bounce is still recorded, with no notification (`notificationEmailId` null).
   */
  async bounced(ticket: OutboundTicket, error: string): Promise<OutboundOutcome> {
    return this.outcome(checkTicket(ticket), 'bounced', checkError(error));
  }

  /** A deferral or a bounce, under the entry's row lock — after the sender's mailbox lock when it may bounce. */
  private outcome(
    { id, attempt }: OutboundTicket,
    kind: 'deferred' | 'bounced',
    diagnostic: string,
  ): Promise<OutboundOutcome> {
    return this.run(async (em) => {
      const now = await databaseNow(em);
      const seen = await em.findOne(OutboundMessage, { id });
      if (!seen) throw new NotFoundError('outbound message');
      seen.assertHolds(attempt);
      // the mailbox first (a bounce stores into it), then the entry, as the lock order says
      const mayBounce = kind === 'bounced' || seen.givesUpAt(now, this.retry);
      const senderId = mayBounce ? seen.senderMailbox?.id : undefined;
      const sender = senderId ? await em.findOne(Mailbox, { id: senderId }, { populate: ['domain'] }) : null;
      const locked = sender ? await lockMailboxes(em, [sender]) : null;
      const entry = await em.findOneOrFail(
        OutboundMessage,
        { id },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      );
      entry.assertHolds(attempt);
      if (kind === 'deferred' && entry.deferred(attempt, diagnostic, now, this.retry)) {
        recordUserEvent(em, 'outbound.deferred', entry.tenant, {
          ...eventData(entry),
          nextAttemptAt: entry.nextAttemptAt.toISOString(),
        });
        return outcomeOf(entry);
      }
      const reason = kind === 'deferred' ? `${diagnostic} (gave up after ${entry.attempts} attempts)` : diagnostic;
      const notification = await this.notify(em, entry, reason, now, locked);
      entry.bounced(attempt, reason.slice(0, MAX_OUTBOUND_ERROR_LENGTH), now, notification);
      recordUserEvent(em, 'outbound.bounced', entry.tenant, { ...eventData(entry), notificationEmailId: notification });
      return outcomeOf(entry);
    });
  }

  /**
   * The retention sweep: removes finished (delivered or bounced) entries that finished before
   * `olderThan` (by default OUTBOUND_RETENTION_DAYS ago), at most `limit` per call (oldest first);
   * unfinished entries are never removed. Run it daily, like the journal's.
   */
  async prune(input: { olderThan?: Date; limit?: number } = {}): Promise<{ removed: number }> {
    const cutoff = input?.olderThan ?? new Date(Date.now() - OUTBOUND_RETENTION_DAYS * 86_400_000);
    if (!(cutoff instanceof Date) || Number.isNaN(cutoff.getTime())) throw invalid('olderThan is a valid date');
    const limit = checkWhole(input?.limit ?? 10_000, 'limit', 1, 1_000_000);
    return this.run(async (em) => {
      const table = sqlTable(em, OutboundMessage);
      const rows = await em.getConnection().execute<{ removed: number }[]>(
        `with gone as (delete from ${table} where id in (
           select id from ${table} where status in ('delivered', 'bounced') and finished_at < ?
           order by finished_at limit ? for update skip locked) returning 1)
         select count(*)::int as removed from gone`,
        [cutoff, limit],
        'all',
        em.getTransactionContext(),
      );
      return { removed: rows[0]!.removed };
    });
  }

  /** Stores the DSN in the sender's INBOX when it can take it; returns its email id, or null. */
  private async notify(
    em: EntityManager,
    entry: OutboundMessage,
    diagnostic: string,
    now: Date,
    locked: Awaited<ReturnType<typeof lockMailboxes>> | null,
  ): Promise<string | null> {
    const target = entry.senderMailbox ? locked?.get(entry.senderMailbox.id) : undefined;
    if (!target || !entry.contentHash) return null;
    await em.populate(entry, ['raw']);
    const dsn = await toMessage(
      await composeBounce({
        to: target.mailbox.address,
        recipient: entry.recipient,
        diagnostic,
        attempts: entry.attempts,
        queuedAt: entry.queuedAt,
        original: Buffer.from(entry.raw!),
        now,
      }),
    );
    if (target.mailbox.refusalFor(dsn.sizeBytes)) return null;
    const [stored] = await receiveInInboxes(em, [target], dsn);
    return stored!.emailId;
  }
}

const eventData = (entry: OutboundMessage) => ({
  outboundId: entry.id,
  recipient: entry.recipient,
  mailboxId: entry.senderMailbox?.id ?? null,
  attempts: entry.attempts,
});

function outcomeOf(entry: OutboundMessage): OutboundOutcome {
  return {
    id: entry.id,
    status: entry.status as OutboundOutcome['status'],
    attempts: entry.attempts,
    nextAttemptAt: entry.status === 'deferred' ? entry.nextAttemptAt : null,
    notificationEmailId: entry.bounceEmailId,
  };
}
