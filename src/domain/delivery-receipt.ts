import { update } from './identity.js';
import type { Mailbox } from './mailbox.js';

/**
 * How long a mailbox remembers that it received a message (by its content hash): an MTA whose
 * final LMTP reply was lost retries the same bytes, and a retry within this window stores nothing
 * new. Longer than Postfix's default queue lifetime (5 days), so every retry Postfix makes falls in.
 */
export const DELIVERY_RECEIPT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * "This mailbox received this message": written with the copy by an idempotent delivery (LMTP),
 * so the MTA's retry after a lost reply is answered as delivered without a second copy. Keyed by
 * (mailbox, content hash); it does not refer to the stored message, so it never keeps one alive.
 * An alias that forwards outside keeps receipts in the same table, under its own address id,
 * written by SQL (application/mail-service.ts, `queueForwardsOnce`): its retry queues no second forward.
 */
export class DeliveryReceipt {
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  readonly contentHash: string;
  readonly deliveredAt: Date;

  constructor(props: { mailbox: Mailbox; contentHash: string; now: Date }) {
    this.mailbox = props.mailbox;
    this.ownerId = props.mailbox.ownerId;
    this.contentHash = props.contentHash;
    this.deliveredAt = props.now;
  }

  /** Whether a delivery at `now` of the same message is a retry of this one. */
  coversRetryAt(now: Date): boolean {
    return now.getTime() - this.deliveredAt.getTime() < DELIVERY_RECEIPT_WINDOW_MS;
  }

  /** The same message delivered again after the window: a new delivery, remembered from now. */
  renew(now: Date): void {
    update(this, { deliveredAt: now });
  }
}
