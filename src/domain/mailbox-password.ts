import { newId, update } from './identity.js';
import type { Mailbox } from './mailbox.js';

/**
 * The password a mailbox logs in with (IMAP, POP3, SMTP submission), set and reset by the owner of
 * its domain. Only its argon2id hash is kept, and that is never part of a view, a log or an error.
 */
export class MailboxPassword {
  readonly id: string = newId();
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  /** argon2id hash in PHC form; hidden from serialization. */
  readonly hash: string;
  readonly changedAt: Date;
  /** A reset and a rehash-on-login of the same row: the later gets CONCURRENT_UPDATE, never a lost reset. */
  readonly version: number = 1;

  constructor(props: { mailbox: Mailbox; hash: string; now?: Date }) {
    this.mailbox = props.mailbox;
    this.ownerId = props.mailbox.ownerId;
    this.hash = props.hash;
    this.changedAt = props.now ?? new Date();
  }

  /** A new password (reset by the owner) or the same one rehashed with current parameters. */
  replace(hash: string, now = new Date()): void {
    update(this, { hash, changedAt: now });
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id, changedAt: this.changedAt };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MailboxPassword { id: '${this.id}' }`;
  }
}
