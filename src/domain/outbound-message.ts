import { ConflictError } from './errors.js';
import { newId, update } from './identity.js';
import type { Mailbox } from './mailbox.js';
import type { User } from './user.js';

/**
 * The life of a queue entry:
 *
 *   queued ──claim──▶ claimed ──delivered──▶ delivered
 *                       │  ▲ ──bounced────▶ bounced
 *                       │  └─claim (its lease ended: a new attempt)
 *                       └──deferred──▶ deferred ──claim (when due)──▶ claimed
 *
 * A deferral past the retry policy's attempts or age is a bounce.
 */
export const OUTBOUND_STATUSES = ['queued', 'claimed', 'deferred', 'delivered', 'bounced'] as const;
export type OutboundStatus = (typeof OUTBOUND_STATUSES)[number];

/** The statuses an outbound relay may claim from (when due); `claimed` when its lease has ended. */
export const CLAIMABLE_STATUSES = ['queued', 'deferred', 'claimed'] as const satisfies readonly OutboundStatus[];

/** How long an outbound relay keeps trying, and how often. */
export interface OutboundRetryPolicy {
  /** The wait after the first failed attempt; each further one doubles it… */
  firstDelaySeconds: number;
  /** …up to this. */
  maxDelaySeconds: number;
  /** The attempt whose deferral would be the `maxAttempts`-th bounces instead. */
  maxAttempts: number;
  /** A deferral this long after the message was queued bounces instead (Postfix's default: 5 days). */
  maxAgeSeconds: number;
}

/** 5, 10, 20, 40, 80, 160 minutes, then every 4 hours; bounced at the 30th failure or after 5 days. */
export const DEFAULT_OUTBOUND_RETRY: Readonly<OutboundRetryPolicy> = Object.freeze({
  firstDelaySeconds: 300,
  maxDelaySeconds: 4 * 3600,
  maxAttempts: 30,
  maxAgeSeconds: 5 * 86_400,
});

/** The wait before the next attempt after failed attempt number `attempt` (1-based). */
export function retryDelaySeconds(policy: OutboundRetryPolicy, attempt: number): number {
  return Math.min(policy.firstDelaySeconds * 2 ** Math.max(0, attempt - 1), policy.maxDelaySeconds);
}

/** The longest relay id (a host name and a process, say). */
export const MAX_RELAY_ID_LENGTH = 200;

/** Longest diagnostic kept from a relay's error (an SMTP reply is at most a few lines). */
export const MAX_OUTBOUND_ERROR_LENGTH = 1_000;

/**
 * One external recipient of one message, waiting for (or done with) the outbound relay. Written in
 * the unit of work that sent (or forwarded) the message; claimed by a relay for a lease; each claim
 * is a numbered attempt, and only the holder of the current attempt may report its outcome.
 */
export class OutboundMessage {
  readonly id: string = newId();
  /** The user the mail is sent for: the sender's (or the forwarding alias's) domain owner. */
  readonly tenant: User;
  /** The mailbox that sent it, whose INBOX receives a bounce; null for forwarded mail (or once the mailbox is gone). */
  readonly senderMailbox: Mailbox | null;
  /** MAIL FROM for the relay. */
  readonly envelopeSender: string;
  /** RCPT TO for the relay. */
  readonly recipient: string;
  /**
   * The raw message and its SHA-256, kept on the entry itself (not a reference to the message store,
   * which is per mailbox: a queue entry may have no mailbox, and Citus refuses a key from this
   * reference table to a distributed one); released once the entry is finished.
   */
  readonly contentHash: string | null;
  readonly raw: Buffer | null;
  readonly status: OutboundStatus = 'queued';
  /** Claims taken so far; the current claim's number is its fencing token. */
  readonly attempts: number = 0;
  readonly claimedBy: string | null = null;
  /** When it may be claimed: now when queued, after the backoff when deferred, at the lease's end when claimed. */
  readonly nextAttemptAt: Date;
  readonly lastError: string | null = null;
  /** The delivery status notification stored in the sender's INBOX for a bounce (null when none could be). */
  readonly bounceEmailId: string | null = null;
  readonly queuedAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null = null;

  constructor(props: {
    tenant: User;
    senderMailbox: Mailbox | null;
    envelopeSender: string;
    recipient: string;
    message: { contentHash: string; raw: Buffer };
    now?: Date;
  }) {
    const now = props.now ?? new Date();
    this.tenant = props.tenant;
    this.senderMailbox = props.senderMailbox;
    this.envelopeSender = props.envelopeSender;
    this.recipient = props.recipient;
    this.contentHash = props.message.contentHash;
    this.raw = props.message.raw;
    this.nextAttemptAt = now;
    this.queuedAt = now;
    this.updatedAt = now;
  }

  get isFinished(): boolean {
    return this.status === 'delivered' || this.status === 'bounced';
  }

  /** Whether a relay may claim it at `now`: queued, or deferred and due, or claimed with its lease ended. */
  isClaimableAt(now: Date): boolean {
    return (CLAIMABLE_STATUSES as readonly OutboundStatus[]).includes(this.status) && this.nextAttemptAt <= now;
  }

  /** A new attempt, held by `relayId` until the lease ends; returns the attempt's number. */
  claim(relayId: string, now: Date, leaseSeconds: number): number {
    if (!this.isClaimableAt(now)) throw new Error(`outbound message ${this.id} is not claimable`);
    update(this, {
      status: 'claimed',
      attempts: this.attempts + 1,
      claimedBy: relayId,
      nextAttemptAt: new Date(now.getTime() + leaseSeconds * 1000),
      updatedAt: now,
    });
    return this.attempts;
  }

  /**
   * Refuses an outcome reported for an attempt that is not the current claim: a relay whose lease
   * ended and whose entry another relay took over (or finished) reports too late.
   */
  assertHolds(attempt: number): void {
    if (this.status !== 'claimed' || this.attempts !== attempt) {
      throw new ConflictError(
        'CLAIM_LOST',
        `attempt ${attempt} of outbound message ${this.id} no longer holds it (now ${this.status}, attempt ${this.attempts})`,
      );
    }
  }

  delivered(attempt: number, now: Date): void {
    this.assertHolds(attempt);
    update(this, {
      status: 'delivered',
      claimedBy: null,
      contentHash: null,
      raw: null,
      finishedAt: now,
      updatedAt: now,
    });
  }

  /** Whether a failure of the current attempt at `now` ends the retries (its attempts or its age are used up). */
  givesUpAt(now: Date, policy: OutboundRetryPolicy): boolean {
    const age = (now.getTime() - this.queuedAt.getTime()) / 1000;
    return this.attempts >= policy.maxAttempts || age >= policy.maxAgeSeconds;
  }

  /**
   * A temporary failure: tried again after the policy's backoff — or, past its attempts or age,
   * nothing more to try: returns false and the caller bounces it.
   */
  deferred(attempt: number, error: string, now: Date, policy: OutboundRetryPolicy): boolean {
    this.assertHolds(attempt);
    if (this.givesUpAt(now, policy)) return false;
    update(this, {
      status: 'deferred',
      claimedBy: null,
      lastError: error,
      nextAttemptAt: new Date(now.getTime() + retryDelaySeconds(policy, this.attempts) * 1000),
      updatedAt: now,
    });
    return true;
  }

  /** A permanent failure (or the end of the retries); `notification` is the DSN's email id, if one was stored. */
  bounced(attempt: number, error: string, now: Date, notification: string | null): void {
    this.assertHolds(attempt);
    update(this, {
      status: 'bounced',
      claimedBy: null,
      contentHash: null,
      raw: null,
      lastError: error,
      bounceEmailId: notification,
      finishedAt: now,
      updatedAt: now,
    });
  }
}
