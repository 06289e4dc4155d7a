import { ValidationError, RuleViolationError } from './errors.js';
import { newId, update } from './identity.js';
import type { Mailbox } from './mailbox.js';

/** IMAP special-use roles (RFC 6154) plus INBOX; a mailbox has exactly one folder of each. */
export const FOLDER_ROLES = ['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive'] as const;
export type FolderRole = (typeof FOLDER_ROLES)[number];

export const ROLE_PATHS: Record<FolderRole, string> = {
  inbox: 'INBOX',
  sent: 'Sent',
  drafts: 'Drafts',
  trash: 'Trash',
  junk: 'Junk',
  archive: 'Archive',
};

export const MAX_FOLDER_PATH_LENGTH = 255;

/**
 * The hierarchy delimiter (IMAP LIST's delimiter): `Work/2026` is the child `2026` of `Work`. A
 * folder's parent is the folder whose path is its path up to the last delimiter; every parent exists
 * (creating or renaming to a path with missing parents creates them). INBOX has no children.
 */
export const FOLDER_DELIMITER = '/';

export class Folder {
  readonly id: string = newId();
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  readonly path: string;
  readonly role: FolderRole | null;
  readonly createdAt: Date;
  readonly version: number = 1;
  /**
   * IMAP UIDVALIDITY: non-zero, 32-bit, the folder's creation time in seconds (what Dovecot uses).
   * UIDs are never reset here, so it never changes; a folder created again gets a new one.
   */
  readonly uidValidity: number;
  /** The UID the next message in this folder gets; raised under the folder's row lock, in commit order. */
  readonly uidNext: number = 1;
  /** IMAP LSUB / JMAP isSubscribed: new folders are subscribed. */
  readonly subscribed: boolean = true;
  /**
   * Exact counts of the folder's email (messages, unseen, octets). The application keeps them in
   * the unit of work that writes the email, under this row's lock (application/mail-counters.ts):
   * with the UID statement for arriving email, once per folder before the flush for the rest.
   * Read-only here; a folder loaded in a unit of work shows them as of its loading.
   */
  readonly messageCount: number = 0;
  readonly unseenCount: number = 0;
  readonly sizeBytes: number = 0;

  constructor(props: { mailbox: Mailbox; path: string; role?: FolderRole | null; now?: Date }) {
    this.mailbox = props.mailbox;
    this.ownerId = props.mailbox.ownerId;
    this.role = props.role ?? null;
    this.path = this.role ? ROLE_PATHS[this.role] : Folder.checkPath(props.path);
    this.createdAt = props.now ?? new Date();
    this.uidValidity = uidValidityAt(this.createdAt);
  }

  /** A user folder path: `/`-separated names of printable text; `INBOX` is reserved. */
  static checkPath(path: string): string {
    if (typeof path !== 'string') throw new ValidationError('INVALID_FOLDER_PATH', 'a folder path must be text');
    const trimmed = path.trim();
    const segments = trimmed.split('/');
    const ok =
      trimmed.length > 0 &&
      trimmed.length <= MAX_FOLDER_PATH_LENGTH &&
      trimmed.isWellFormed() &&
      !/\p{Cc}/u.test(trimmed) &&
      segments.every((s) => s.trim() !== '' && s === s.trim());
    if (!ok) {
      throw new ValidationError(
        'INVALID_FOLDER_PATH',
        `a folder path is 1–${MAX_FOLDER_PATH_LENGTH} characters of printable text, with non-empty names between slashes`,
      );
    }
    if (segments[0]!.toUpperCase() === 'INBOX') {
      throw new ValidationError('INVALID_FOLDER_PATH', 'INBOX is reserved for the inbox');
    }
    return trimmed;
  }

  /** The last name of the path (`2026` of `Work/2026`). */
  get name(): string {
    return this.path.slice(this.path.lastIndexOf(FOLDER_DELIMITER) + 1);
  }

  /** The parent's path, or null for a top-level folder. */
  get parentPath(): string | null {
    return parentPathOf(this.path);
  }

  /** Subscribes or unsubscribes; says whether that changed anything. */
  subscribe(subscribed: boolean): boolean {
    if (typeof subscribed !== 'boolean')
      throw new ValidationError('INVALID_FOLDER_PATH', 'subscribed is true or false');
    if (this.subscribed === subscribed) return false;
    update(this, { subscribed });
    return true;
  }

  get isProtected(): boolean {
    return this.role !== null;
  }

  rename(path: string): void {
    this.assertNotProtected('renamed');
    update(this, { path: Folder.checkPath(path) });
  }

  /**
   * Takes the next UID in memory: for a folder that this unit of work creates or holds locked (the
   * seeders). Deliveries raise the counter in the database instead (application/mail-counters.ts).
   */
  takeUid(): number {
    const uid = this.uidNext;
    if (uid > MAX_UID) throw new RuleViolationError('QUOTA_EXCEEDED', `folder ${this.path} has used up its UIDs`);
    update(this, { uidNext: uid + 1 });
    return uid;
  }

  assertNotProtected(action: 'renamed' | 'deleted'): void {
    if (this.isProtected) {
      throw new RuleViolationError('FOLDER_PROTECTED', `the ${this.path} folder cannot be ${action}`);
    }
  }
}

/** The path of a path's parent (`Work` of `Work/2026`), or null at the top. */
export function parentPathOf(path: string): string | null {
  const at = path.lastIndexOf(FOLDER_DELIMITER);
  return at < 0 ? null : path.slice(0, at);
}

/** The paths above a path, top first: `a/b/c` → `a`, `a/b`. */
export function ancestorPathsOf(path: string): string[] {
  const names = path.split(FOLDER_DELIMITER);
  return names.slice(0, -1).map((_, i) => names.slice(0, i + 1).join(FOLDER_DELIMITER));
}

/** The largest IMAP UID (and UIDVALIDITY): an unsigned 32-bit number. */
export const MAX_UID = 4_294_967_295;

export function uidValidityAt(time: Date): number {
  return Math.min(MAX_UID, Math.max(1, Math.floor(time.getTime() / 1000)));
}
