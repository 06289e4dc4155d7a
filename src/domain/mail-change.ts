import { newId } from './identity.js';
import type { Mailbox } from './mailbox.js';

/**
 * What the journal records: an email added to a folder, changed (flags, keywords), or expunged from
 * one (deleted, or moved away: a move is an expunge in the source and an add in the target); and
 * folder events (created, renamed, deleted) for JMAP Mailbox/changes.
 */
export const CHANGE_KINDS = ['added', 'changed', 'expunged', 'folder'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * What happened to a folder (a change of kind `folder`): created, renamed (its path, hence maybe
 * its parent), deleted, subscribed or unsubscribed. Count changes are not journalled as folder
 * changes: every added, changed or expunged email entry names its folder, which is what a JMAP
 * server reports as a counts-only update.
 */
export const FOLDER_EVENTS = ['created', 'renamed', 'deleted', 'subscribed', 'unsubscribed'] as const;
export type FolderEvent = (typeof FOLDER_EVENTS)[number];

/** One entry of a mailbox's change journal, written in the same unit of work as the change. */
export class MailChange {
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  readonly id: string = newId();
  readonly modseq: number;
  readonly kind: ChangeKind;
  readonly folderId: string;
  readonly uid: number | null;
  readonly emailId: string | null;
  /** Set exactly for kind `folder`. */
  readonly folderEvent: FolderEvent | null;
  readonly createdAt: Date;

  constructor(props: {
    mailbox: Mailbox;
    modseq: number;
    kind: ChangeKind;
    folderId: string;
    uid?: number | null;
    emailId?: string | null;
    folderEvent?: FolderEvent | null;
    now?: Date;
  }) {
    this.mailbox = props.mailbox;
    this.ownerId = props.mailbox.ownerId;
    this.modseq = props.modseq;
    this.kind = props.kind;
    this.folderId = props.folderId;
    this.uid = props.uid ?? null;
    this.emailId = props.emailId ?? null;
    this.folderEvent = props.folderEvent ?? null;
    if ((this.kind === 'folder') !== (this.folderEvent !== null)) {
      throw new Error('a folder change names its folder event, and only a folder change does');
    }
    this.createdAt = props.now ?? new Date();
  }
}

/**
 * A mailbox's IMAP/JMAP state: its highest modseq (one counter for every folder: HIGHESTMODSEQ,
 * and JMAP's state strings) and how far back its journal reaches. Raised under its row lock.
 */
export class MailboxState {
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  readonly highestModseq: number = 0;
  /** Changes after this modseq are all in the journal; older ones were pruned. */
  readonly journalFloor: number = 0;

  constructor(mailbox: Mailbox) {
    this.mailbox = mailbox;
    // MikroORM constructs the class without arguments to read its defaults
    this.ownerId = mailbox?.ownerId;
  }
}
