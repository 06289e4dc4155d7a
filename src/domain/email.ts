import type { Folder } from './folder.js';
import { ValidationError } from './errors.js';
import { newId, update } from './identity.js';
import type { Mailbox } from './mailbox.js';
import type { Message } from './message.js';
import type { User } from './user.js';

export interface EmailFlags {
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
}

/**
 * One stored message in one folder of its own mailbox. Keyed by (mailbox, id) so the message
 * store can be partitioned or distributed by mailbox. Created and moved only through its Mailbox.
 */
export class Email {
  readonly mailbox: Mailbox;
  readonly id: string = newId();
  readonly folder: Folder;
  /** The user the mail belongs to: the owner of the mailbox's domain. */
  readonly user: User;
  readonly messageId: string;
  readonly subject: string;
  readonly fromAddress: string;
  readonly toAddresses: string[];
  readonly ccAddresses: string[];
  readonly body: string;
  readonly sizeBytes: number;
  readonly seen: boolean = false;
  readonly flagged: boolean = false;
  readonly answered: boolean = false;
  readonly draft: boolean = false;
  readonly receivedAt: Date;
  readonly createdAt: Date;

  /** @internal use Mailbox.receive / Mailbox.store */
  constructor(props: {
    mailbox: Mailbox;
    folder: Folder;
    user: User;
    message: Message;
    flags?: Partial<EmailFlags>;
    now: Date;
  }) {
    const { message } = props;
    this.mailbox = props.mailbox;
    this.folder = props.folder;
    this.user = props.user;
    this.messageId = message.messageId;
    this.subject = message.subject;
    this.fromAddress = message.from;
    this.toAddresses = message.to;
    this.ccAddresses = message.cc;
    this.body = message.body;
    this.sizeBytes = message.sizeBytes;
    this.receivedAt = this.createdAt = props.now;
    if (props.flags) this.setFlags(props.flags);
  }

  get flags(): EmailFlags {
    const { seen, flagged, answered, draft } = this;
    return { seen, flagged, answered, draft };
  }

  setFlags(flags: Partial<EmailFlags>): void {
    if (typeof flags !== 'object' || flags === null) {
      throw new ValidationError('INVALID_MESSAGE', 'flags must be an object of true/false values');
    }
    const next = { ...this.flags };
    for (const key of Object.keys(next) as (keyof EmailFlags)[]) {
      const value = flags[key];
      if (value === undefined) continue;
      if (typeof value !== 'boolean') throw new ValidationError('INVALID_MESSAGE', `flag ${key} must be true or false`);
      next[key] = value;
    }
    update(this, next);
  }

  /** @internal use Mailbox.move */
  placeIn(folder: Folder): void {
    update(this, { folder });
  }
}
