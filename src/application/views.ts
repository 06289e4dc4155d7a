/**
 * What use cases return: plain, serializable snapshots. Managed entities never leave a unit of
 * work, and a password hash is never part of a view.
 */
import type { Alias } from '../domain/alias.js';
import { Domain } from '../domain/domain.js';
import type { Email } from '../domain/email.js';
import type { Folder } from '../domain/folder.js';
import type { Mailbox } from '../domain/mailbox.js';
import type { User } from '../domain/user.js';

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  status: User['status'];
  createdAt: Date;
  updatedAt: Date;
  domains?: DomainView[];
}

export interface DomainView {
  id: string;
  name: string;
  displayName: string;
  ownerId: string;
  verified: boolean;
  verifiedAt: Date | null;
  status: Domain['status'];
  limits: Domain['limits'];
  verificationRecord: Domain['verificationRecord'];
  createdAt: Date;
  mailboxes?: MailboxView[];
}

export interface MailboxView {
  id: string;
  address: string;
  domainId: string;
  quotaBytes: number;
  usedBytes: number;
  status: Mailbox['status'];
  createdAt: Date;
  folders?: FolderView[];
}

export interface AliasView {
  id: string;
  address: string;
  domainId: string;
  catchAll: boolean;
  destinations: string[];
  createdAt: Date;
}

export interface FolderView {
  id: string;
  mailboxId: string;
  /** The full path, names joined by FOLDER_DELIMITER (`/`). */
  path: string;
  /** The last name of the path. */
  name: string;
  /** The parent folder's path; null at the top. */
  parentPath: string | null;
  role: Folder['role'];
  subscribed: boolean;
  /** Exact counts as of the read (kept by the database in the unit of work of every change). */
  messageCount: number;
  unseenCount: number;
  sizeBytes: number;
}

export interface EmailSummary {
  id: string;
  mailboxId: string;
  folderId: string;
  /** Its conversation (JMAP threadId): the same for every email of the thread, in one mailbox. */
  threadId: string;
  messageId: string;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  sizeBytes: number;
  flags: Email['flags'];
  receivedAt: Date;
}

export interface EmailView extends EmailSummary {
  body: string;
}

/**
 * What the user, domain and mailbox views are made of: a managed entity, or the same columns read
 * straight from a row by a query that builds views without hydrating entities.
 */
export type UserFields = Pick<User, 'id' | 'email' | 'name' | 'status' | 'createdAt' | 'updatedAt'>;
export type DomainFields = Pick<
  Domain,
  | 'id'
  | 'name'
  | 'verificationToken'
  | 'verified'
  | 'verifiedAt'
  | 'status'
  | 'maxMailboxes'
  | 'maxAliases'
  | 'defaultQuotaBytes'
  | 'maxQuotaBytes'
  | 'createdAt'
> & { owner: { id: string } };
export type MailboxFields = Pick<Mailbox, 'id' | 'address' | 'quotaBytes' | 'usedBytes' | 'status' | 'createdAt'> & {
  domain: { id: string };
};

/** A user, with its domains when they are loaded. */
export function toUserView(user: User): UserView {
  return userView(user, loadedViews(user.domains, toDomainView));
}

/** A domain, with its mailboxes when they are loaded. */
export function toDomainView(domain: Domain): DomainView {
  return domainView(domain, loadedViews(domain.mailboxes, toMailboxView));
}

/** A mailbox, with its folders when they are loaded. */
export function toMailboxView(mailbox: Mailbox): MailboxView {
  return mailboxView(mailbox, loadedViews(mailbox.folders, toFolderView));
}

export function userView(user: UserFields, domains?: DomainView[]): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    status: user.status,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    ...(domains ? { domains } : {}),
  };
}

export function domainView(domain: DomainFields, mailboxes?: MailboxView[]): DomainView {
  return {
    id: domain.id,
    name: domain.name,
    displayName: Domain.displayNameOf(domain.name),
    ownerId: domain.owner.id,
    verified: domain.verified,
    verifiedAt: domain.verifiedAt,
    status: domain.status,
    limits: {
      maxMailboxes: domain.maxMailboxes,
      maxAliases: domain.maxAliases,
      defaultQuotaBytes: domain.defaultQuotaBytes,
      maxQuotaBytes: domain.maxQuotaBytes,
    },
    verificationRecord: Domain.verificationRecordOf(domain.name, domain.verificationToken),
    createdAt: domain.createdAt,
    ...(mailboxes ? { mailboxes } : {}),
  };
}

export function mailboxView(mailbox: MailboxFields, folders?: FolderView[]): MailboxView {
  return {
    id: mailbox.id,
    address: mailbox.address,
    domainId: mailbox.domain.id,
    quotaBytes: mailbox.quotaBytes,
    usedBytes: mailbox.usedBytes,
    status: mailbox.status,
    createdAt: mailbox.createdAt,
    ...(folders ? { folders } : {}),
  };
}

function loadedViews<T extends object, V>(
  items: { isInitialized(): boolean; getItems(): T[] },
  view: (item: T) => V,
): V[] | undefined {
  return items.isInitialized() ? items.getItems().map(view) : undefined;
}

export function toAliasView(alias: Alias): AliasView {
  return {
    id: alias.id,
    address: alias.address,
    domainId: alias.domain.id,
    catchAll: alias.isCatchAll,
    destinations: [...alias.destinations],
    createdAt: alias.createdAt,
  };
}

export function toFolderView(folder: Folder): FolderView {
  return {
    id: folder.id,
    mailboxId: folder.mailbox.id,
    path: folder.path,
    name: folder.name,
    parentPath: folder.parentPath,
    role: folder.role,
    subscribed: folder.subscribed,
    messageCount: folder.messageCount,
    unseenCount: folder.unseenCount,
    sizeBytes: folder.sizeBytes,
  };
}

export function toEmailSummary(email: Email): EmailSummary {
  return {
    id: email.id,
    mailboxId: email.mailbox.id,
    folderId: email.folder.id,
    threadId: email.threadId,
    messageId: email.messageId,
    subject: email.subject,
    from: email.fromAddress,
    to: [...email.toAddresses],
    cc: [...email.ccAddresses],
    sizeBytes: email.sizeBytes,
    flags: email.flags,
    receivedAt: email.receivedAt,
  };
}

export function toEmailView(email: Email): EmailView {
  return { ...toEmailSummary(email), body: email.body };
}
