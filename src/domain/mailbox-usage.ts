import type { Mailbox } from './mailbox.js';

/**
 * What every delivery writes and locks: a mailbox's quota and the bytes it uses, kept out of the
 * directory (`address`, a reference table on Citus) in a row of their own, co-located with the
 * mailbox's mail (issue #19, docs/scaling.md item 2). One per mailbox, created with it and removed
 * with it; `Mailbox` reads and changes it through its own verbs, never the callers.
 */
export class MailboxUsage {
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  /** 0 means unlimited. */
  readonly quotaBytes: number;
  readonly usedBytes: number = 0;
  readonly version: number = 1;

  constructor(mailbox: Mailbox, quotaBytes: number) {
    this.mailbox = mailbox;
    // MikroORM constructs the class without arguments to read its defaults
    this.ownerId = mailbox?.ownerId;
    this.quotaBytes = quotaBytes;
  }
}
