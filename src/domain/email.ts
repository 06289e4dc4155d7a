import type { Folder } from './folder.js';
import { ValidationError } from './errors.js';
import { newId, update } from './identity.js';
import { checkKeywords } from './imap-flags.js';
import type { Mailbox } from './mailbox.js';
import type { Message } from './message.js';
import type { StoredMessage } from './stored-message.js';
import { storedThreadKeys, threadKeysOf, type ThreadPlacement } from './thread.js';
import type { User } from './user.js';

export interface EmailFlags {
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  draft: boolean;
  deleted: boolean;
}

/** What an Email row keeps of its message (what lists show), derived from the parse. */
export type MessageFields = Pick<Message, 'messageId' | 'subject' | 'from' | 'to' | 'cc' | 'body' | 'sizeBytes'>;

/** What a new email is made of: its message, where it goes, and its flags and internal date. */
export interface NewEmail {
  message: MessageFields;
  content: StoredMessage;
  placement: Placement;
  flags?: Partial<EmailFlags>;
  keywords?: string[];
  receivedAt?: Date;
  /** Its thread, as delivery worked it out; without one, a thread of its own. */
  thread?: ThreadPlacement;
}

/** Where an email is for IMAP: its UID in its folder and the mailbox modseq of its last change. */
export interface Placement {
  folder: Folder;
  uid: number;
  modseq: number;
}

/**
 * One copy of a stored message in one folder of its own mailbox. Keyed by (mailbox, id) so the
 * store can be partitioned or distributed by mailbox. The bytes live once, in the content-addressed
 * message it refers to; the columns here are what lists show, derived from the parse. Created and
 * moved only through its Mailbox.
 */
export class Email {
  readonly mailbox: Mailbox;
  readonly id: string = newId();
  readonly folder: Folder;
  /** The user the mail belongs to: the owner of the mailbox's domain. */
  readonly user: User;
  readonly content: StoredMessage;
  /** IMAP UID: unique in its folder (within the folder's UIDVALIDITY), ascending in arrival order. */
  readonly uid: number;
  /** The mailbox modseq of the last change to this email (arrival, flags, keywords, move). */
  readonly modseq: number;
  readonly messageId: string;
  /** The conversation it belongs to (JMAP threadId), within its mailbox; see domain/thread.ts. */
  readonly threadId: string;
  /** What later mail finds its thread by: reference ids and the normalised-subject key. */
  readonly threadKeys: string[];
  readonly subject: string;
  readonly fromAddress: string;
  readonly toAddresses: string[];
  readonly ccAddresses: string[];
  readonly body: string;
  /** What the quota counts: the raw octets (an email migrated from before raw messages keeps its old count). */
  readonly sizeBytes: number;
  readonly seen: boolean = false;
  readonly flagged: boolean = false;
  readonly answered: boolean = false;
  readonly draft: boolean = false;
  readonly deleted: boolean = false;
  /** IMAP keywords (JMAP's custom keywords), lower case, sorted. */
  readonly keywords: string[] = [];
  /** IMAP INTERNALDATE / JMAP receivedAt. */
  readonly receivedAt: Date;
  readonly createdAt: Date;

  /** @internal use Mailbox.receive / Mailbox.store / Mailbox.copy */
  constructor(props: NewEmail & { mailbox: Mailbox; user: User; now: Date }) {
    const { message } = props;
    this.mailbox = props.mailbox;
    this.folder = props.placement.folder;
    this.uid = props.placement.uid;
    this.modseq = props.placement.modseq;
    this.user = props.user;
    this.content = props.content;
    this.messageId = message.messageId;
    this.threadId = props.thread?.id ?? newId();
    this.threadKeys = [
      ...(props.thread?.keys ??
        storedThreadKeys(threadKeysOf({ messageId: message.messageId, subject: message.subject }))),
    ];
    this.subject = message.subject;
    this.fromAddress = message.from;
    this.toAddresses = [...message.to];
    this.ccAddresses = [...message.cc];
    this.body = message.body;
    this.sizeBytes = message.sizeBytes;
    this.createdAt = props.now;
    this.receivedAt = props.receivedAt ?? props.now;
    if (props.flags) this.setFlags(props.flags);
    if (props.keywords) this.setKeywords(props.keywords);
  }

  get flags(): EmailFlags {
    const { seen, flagged, answered, draft, deleted } = this;
    return { seen, flagged, answered, draft, deleted };
  }

  /** Changes the given flags; true when one of them changed (the caller then records the change). */
  setFlags(flags: Partial<EmailFlags>): boolean {
    if (typeof flags !== 'object' || flags === null) {
      throw new ValidationError('INVALID_MESSAGE', 'flags must be an object of true/false values');
    }
    const before = this.flags;
    const next = { ...before };
    for (const key of Object.keys(next) as (keyof EmailFlags)[]) {
      const value = flags[key];
      if (value === undefined) continue;
      if (typeof value !== 'boolean') throw new ValidationError('INVALID_MESSAGE', `flag ${key} must be true or false`);
      next[key] = value;
    }
    const changed = (Object.keys(next) as (keyof EmailFlags)[]).some((k) => next[k] !== before[k]);
    if (changed) update(this, next);
    return changed;
  }

  /** Replaces the keywords (checked atoms, case-folded); true when they changed. */
  setKeywords(keywords: string[]): boolean {
    const next = checkKeywords(keywords);
    if (next.length === this.keywords.length && next.every((k, i) => k === this.keywords[i])) return false;
    update(this, { keywords: next });
    return true;
  }

  /** Records a change to this email under the mailbox modseq its unit of work took. */
  markChanged(modseq: number): void {
    // several changes in one unit of work share its modseq; it never goes back
    if (!(modseq >= this.modseq)) throw new Error(`modseq ${modseq} is before ${this.modseq}`);
    update(this, { modseq });
  }

  /**
   * @internal threading merged its thread into another: a change under `modseq` (the journal says
   * so); an email not yet saved keeps its modseq.
   */
  joinThread(threadId: string, modseq = this.modseq): void {
    if (threadId === this.threadId) return;
    update(this, { threadId });
    this.markChanged(modseq);
  }

  /** @internal use Mailbox.move: a moved email gets a new UID in its new folder. */
  placeIn(placement: Placement): void {
    update(this, { folder: placement.folder, uid: placement.uid });
    this.markChanged(placement.modseq);
  }
}
