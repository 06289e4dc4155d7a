import { Collection } from '@mikro-orm/core';
import { Address } from './address.js';
import { parseQuotaBytes } from './byte-size.js';
import { caseFold } from './case-fold.js';
import type { Domain } from './domain.js';
import type { EmailAddress } from './email-address.js';
import { Email, type EmailFlags, type NewEmail, type Placement } from './email.js';
import type { StoredMessage } from './stored-message.js';
import { RuleViolationError, ValidationError } from './errors.js';
import { ancestorPathsOf, FOLDER_DELIMITER, FOLDER_ROLES, Folder, type FolderRole } from './folder.js';
import { update } from './identity.js';
import { MailboxUsage } from './mailbox-usage.js';
import type { Message } from './message.js';
import type { ThreadPlacement } from './thread.js';

export const MAILBOX_STATUSES = ['active', 'suspended'] as const;
export type MailboxStatus = (typeof MAILBOX_STATUSES)[number];

/**
 * A mailbox: an address on a domain that stores mail, within a quota. `usedBytes` is always the
 * sum of the sizes of its stored email, changed in the same unit of work as the email itself.
 * The quota and the bytes used are kept in the mailbox's `usage` row (mailbox-usage.ts), loaded
 * with it, so a delivery writes and locks no row of the directory.
 */
export class Mailbox extends Address {
  readonly kind = 'mailbox' as const;
  readonly usage: MailboxUsage;
  readonly status: MailboxStatus = 'active';
  readonly version: number = 1;
  readonly folders = new Collection<Folder>(this);

  constructor(props: { address: EmailAddress; domain: Domain; quotaBytes?: number; now?: Date }) {
    const now = props.now ?? new Date();
    if (!props.address.belongsTo(props.domain.domainName)) {
      throw new ValidationError(
        'ADDRESS_OUTSIDE_DOMAIN',
        `${props.address.unicode} is not an address on ${props.domain.displayName}`,
      );
    }
    super(props.address.value, props.domain, now);
    this.usage = new MailboxUsage(this, props.domain.quotaFor(props.quotaBytes));
    for (const role of FOLDER_ROLES) this.folders.add(new Folder({ mailbox: this, path: '', role, now }));
  }

  /** 0 means unlimited. */
  get quotaBytes(): number {
    return this.usage.quotaBytes;
  }

  get usedBytes(): number {
    return this.usage.usedBytes;
  }

  get isActive(): boolean {
    return this.status === 'active';
  }

  get freeBytes(): number {
    return this.quotaBytes === 0 ? Number.POSITIVE_INFINITY : this.quotaBytes - this.usedBytes;
  }

  suspend(): void {
    update(this, { status: 'suspended' });
  }

  activate(): void {
    update(this, { status: 'active' });
  }

  changeQuota(quotaBytes: number): void {
    const quota = this.domain.quotaFor(parseQuotaBytes(quotaBytes));
    if (quota !== 0 && quota < this.usedBytes) {
      throw new RuleViolationError(
        'QUOTA_EXCEEDED',
        `${this.address} already uses ${this.usedBytes} bytes, more than ${quota}`,
      );
    }
    update(this.usage, { quotaBytes: quota });
  }

  /** The folder with a special-use role; the folders collection must be loaded. */
  folder(role: FolderRole): Folder {
    const found = this.folders.getItems().find((f) => f.role === role);
    if (!found) throw new Error(`mailbox ${this.address} has no ${role} folder loaded`);
    return found;
  }

  /** Inbound mail: the domain must receive mail and the mailbox must be active and have room. */
  receive(
    message: Message,
    content: StoredMessage,
    placement: Placement,
    now = new Date(),
    thread?: ThreadPlacement,
  ): Email {
    this.domain.assertReceivesMail();
    if (placement.folder.role !== 'inbox') throw new Error('inbound mail goes to the inbox');
    return this.store({ message, content, placement, now, ...(thread ? { thread } : {}) });
  }

  /**
   * Sending, held to the same rules as receiving: a domain nobody proved (or one suspended) must
   * not put mail with its addresses into other mailboxes or the outbound relay.
   */
  assertSends(): void {
    this.domain.assertSendsMail();
    this.assertActive();
  }

  /** The sent copy of an outgoing message, seen, in the Sent folder. */
  send(
    message: Message,
    content: StoredMessage,
    placement: Placement,
    now = new Date(),
    thread?: ThreadPlacement,
  ): Email {
    this.assertSends();
    if (placement.folder.role !== 'sent') throw new Error('the sent copy goes to the Sent folder');
    return this.store({ message, content, placement, flags: { seen: true }, now, ...(thread ? { thread } : {}) });
  }

  /** Stores a message in one of this mailbox's folders (sent copies, drafts, appends, imports). */
  store(props: NewEmail & { now?: Date }): Email {
    this.assertActive();
    this.assertOwnFolder(props.placement.folder);
    if (props.content.mailbox !== this)
      throw new Error(`a message stored for another mailbox cannot be ${this.address}'s`);
    this.reserve(props.message.sizeBytes);
    return new Email({ ...props, mailbox: this, user: this.domain.owner, now: props.now ?? new Date() });
  }

  /** Moves an email to another of its folders, under a new UID there. */
  move(email: Email, placement: Placement): void {
    this.assertOwnEmail(email);
    this.assertOwnFolder(placement.folder);
    email.placeIn(placement);
  }

  /** A copy of an email in one of this mailbox's folders: the same stored message, counted again. */
  copy(email: Email, placement: Placement, now = new Date()): Email {
    this.assertOwnEmail(email);
    return this.store({
      message: {
        messageId: email.messageId,
        subject: email.subject,
        from: email.fromAddress,
        to: email.toAddresses,
        cc: email.ccAddresses,
        body: email.body,
        sizeBytes: email.sizeBytes,
      },
      content: email.content,
      placement,
      flags: email.flags,
      keywords: email.keywords,
      receivedAt: email.receivedAt,
      // a copy stays in the conversation of its original (the same mailbox, the same message)
      thread: { id: email.threadId, keys: email.threadKeys },
      now,
    });
  }

  /** Frees the space of an email that is being deleted for good; the caller removes the email. */
  purge(email: Email): void {
    this.assertOwnEmail(email);
    update(this.usage, { usedBytes: this.usedBytes - email.sizeBytes });
  }

  addFolder(path: string, now = new Date()): Folder {
    return this.addFolderPath(path, now).at(-1)!;
  }

  /**
   * Creates a folder and its missing parents (IMAP CREATE's "superior hierarchical names"); returns
   * what it created, parents first, the folder asked for last. An existing parent keeps its own
   * spelling: `work/2026` under a folder `Work` is created as `Work/2026`.
   */
  addFolderPath(path: string, now = new Date()): Folder[] {
    const checked = Folder.checkPath(path);
    this.assertPathFree(checked);
    const { spelled, created } = this.spellParents(checked, [], now);
    const folder = new Folder({ mailbox: this, path: spelled, now });
    this.folders.add(folder);
    return [...created, folder];
  }

  /** The folder's children, grandchildren and so on (not itself); the folders must be loaded. */
  descendantsOf(folder: Folder): Folder[] {
    const prefix = caseFold(folder.path) + FOLDER_DELIMITER;
    return this.folders.getItems().filter((f) => f !== folder && caseFold(f.path).startsWith(prefix));
  }

  /**
   * Renames a folder and everything under it (`Work` → `Jobs` makes `Work/2026` `Jobs/2026`):
   * the same rows, so every message, UID and UIDVALIDITY stays. Missing parents of the new path
   * are created. Refused when a new path clashes (by case fold) with a folder outside the subtree,
   * and when the new path is inside the folder itself. Renaming to another case of its own name
   * (`Work` → `WORK`) is a rename, not a clash.
   */
  renameFolder(
    folder: Folder,
    path: string,
    now = new Date(),
  ): { renamed: { folder: Folder; previousPath: string }[]; created: Folder[] } {
    this.assertOwnFolder(folder);
    folder.assertNotProtected('renamed');
    const checked = Folder.checkPath(path);
    const subtree = [folder, ...this.descendantsOf(folder)];
    const source = caseFold(folder.path);
    if (caseFold(checked).startsWith(source + FOLDER_DELIMITER)) {
      throw new ValidationError('INVALID_FOLDER_PATH', `${folder.path} cannot be moved inside itself`);
    }
    for (const f of subtree) this.assertPathFree(checked + f.path.slice(folder.path.length), subtree);
    // every new path must be valid (not too long) before anything changes
    for (const f of subtree) Folder.checkPath(checked + f.path.slice(folder.path.length));
    const { spelled, created } = this.spellParents(checked, subtree, now);
    const cut = folder.path.length;
    const renamed = subtree.map((f) => ({ folder: f, previousPath: f.path }));
    for (const { folder: f, previousPath } of renamed) f.rename(Folder.checkPath(spelled + previousPath.slice(cut)));
    return { renamed, created };
  }

  /** A user folder with no children; the caller checks it holds no email. */
  removeFolder(folder: Folder): void {
    this.assertOwnFolder(folder);
    folder.assertNotProtected('deleted');
    const children = this.descendantsOf(folder);
    if (children.length > 0) {
      throw new RuleViolationError(
        'FOLDER_HAS_CHILDREN',
        `${folder.path} has folders inside it (${children[0]!.path}); delete or move them first`,
      );
    }
    this.folders.remove(folder);
  }

  /**
   * The path with its parents spelled as the existing folders spell them (not counting `ignored`,
   * a subtree being renamed), creating the parents that are missing.
   */
  private spellParents(path: string, ignored: Folder[], now: Date): { spelled: string; created: Folder[] } {
    const created: Folder[] = [];
    let prefix = '';
    for (const ancestor of ancestorPathsOf(path)) {
      const name = ancestor.slice(ancestor.lastIndexOf(FOLDER_DELIMITER) + 1);
      const wanted = prefix ? prefix + FOLDER_DELIMITER + name : name;
      const key = caseFold(wanted);
      const existing = this.folders.getItems().find((f) => !ignored.includes(f) && caseFold(f.path) === key);
      if (existing) {
        prefix = existing.path;
        continue;
      }
      const parent = new Folder({ mailbox: this, path: wanted, now });
      this.folders.add(parent);
      created.push(parent);
      prefix = parent.path;
    }
    const leaf = path.slice(path.lastIndexOf(FOLDER_DELIMITER) + 1);
    return { spelled: prefix ? prefix + FOLDER_DELIMITER + leaf : leaf, created };
  }

  /**
   * Folder names are compared as addresses are, by case folding. The database's unique index on
   * `lower(path)` is a coarser backstop (ASCII or locale case only: PostgreSQL 15 cannot fold), so
   * this check is the rule; the index still stops two concurrent units of work that differ by case.
   */
  private assertPathFree(path: string, renaming: Folder[] = []): void {
    const key = caseFold(path);
    if (this.folders.getItems().some((f) => !renaming.includes(f) && caseFold(f.path) === key)) {
      throw new RuleViolationError('FOLDER_EXISTS', `${this.address} already has a folder ${path}`);
    }
  }

  /** Why this mailbox could not receive a message of `bytes` now (its domain, its status, its quota), or null. */
  refusalFor(bytes: number): RuleViolationError | null {
    try {
      this.domain.assertReceivesMail();
      this.assertActive();
    } catch (error) {
      if (error instanceof RuleViolationError) return error;
      throw error;
    }
    return this.quotaBytes > 0 && this.usedBytes + bytes > this.quotaBytes
      ? new RuleViolationError('QUOTA_EXCEEDED', `${this.address} has ${this.freeBytes} bytes free; ${bytes} needed`)
      : null;
  }

  assertActive(): void {
    if (!this.isActive) throw new RuleViolationError('MAILBOX_SUSPENDED', `${this.address} is suspended`);
  }

  private reserve(bytes: number): void {
    if (this.quotaBytes > 0 && this.usedBytes + bytes > this.quotaBytes) {
      throw new RuleViolationError(
        'QUOTA_EXCEEDED',
        `${this.address} has ${this.quotaBytes - this.usedBytes} bytes free; the message needs ${bytes}`,
      );
    }
    update(this.usage, { usedBytes: this.usedBytes + bytes });
  }

  private assertOwnFolder(folder: Folder): void {
    if (folder.mailbox.id !== this.id)
      throw new ValidationError('INVALID_FOLDER_PATH', 'that folder belongs to another mailbox');
  }

  private assertOwnEmail(email: Email): void {
    if (email.mailbox.id !== this.id)
      throw new ValidationError('INVALID_MESSAGE', 'that email belongs to another mailbox');
  }
}
