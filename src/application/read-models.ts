/**
 * The reads the use cases need that build views without entities (pages, reports, lookups): the
 * ports. The services keep validation, ownership checks and the unit of work; the queries live in
 * `src/infrastructure/persistence/read-models/`, and the composition root hands them in. Each
 * read runs in the entity manager of the caller's unit of work.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EmailPosition, KeysetPosition } from './keyset-cursor.js';
import type { EmailSummary, UserView } from './views.js';

export interface FolderPageQuery {
  mailboxId: string;
  folderId: string;
  /** Ownership is part of the filter: only the active owner of the mailbox's domain sees rows. */
  actingUserId: string;
  limit: number;
  /** The last email of the page before; newest first, so the page holds older ones. */
  after?: EmailPosition | undefined;
}

/** What a folder holds: counted by the database, never by loading. */
export interface FolderTotals {
  emails: number;
  unread: number;
  bytes: number;
}

export interface UserTotals {
  domains: number;
  mailboxes: number;
  aliases: number;
  emails: number;
  storageBytes: number;
}

export interface EmailCount {
  userId: string;
  email: string;
  emails: number;
}

export interface FolderPageReads {
  /** Up to `limit` summaries of one folder, newest first. */
  folderPage(em: EntityManager, query: FolderPageQuery): Promise<EmailSummary[]>;
}

export interface OwnerReads {
  /** Users owning a domain whose name is LIKE `pattern`, with all their domains and mailboxes. */
  ownersByDomainPattern(em: EntityManager, pattern: string): Promise<UserView[]>;
}

export interface StatisticsReads {
  userTotals(em: EntityManager, userId: string): Promise<UserTotals>;
  /** By folder id; a folder without email is absent. */
  folderTotals(em: EntityManager, mailboxId: string): Promise<Map<string, FolderTotals>>;
  emailCountsPerUser(em: EntityManager): Promise<EmailCount[]>;
}

export type ReadModels = FolderPageReads & OwnerReads & StatisticsReads;

/** What a domain holds: counted by the database. */
export interface DomainTotals {
  mailboxes: number;
  aliases: number;
  storageBytes: number;
}

/** The per-row counts of a list of users or domains (the studio's lists): one grouped query each. */
export interface HoldingsReads {
  /** By user id; every id asked for is present (zeros for a user who owns nothing). */
  userTotalsOf(em: EntityManager, userIds: string[]): Promise<Map<string, UserTotals>>;
  /** By domain id; every id asked for is present. */
  domainTotalsOf(em: EntityManager, domainIds: string[]): Promise<Map<string, DomainTotals>>;
}

/** A page of a list ordered by one text property and then the id, after a keyset position. */
export interface KeyedPageQuery<E> {
  where: FilterQuery<E>;
  /** The text property the list is ordered by (a user's email, a domain's name, an address). */
  key: keyof E & string;
  limit: number;
  after?: KeysetPosition | undefined;
}

export interface KeyedPageReads {
  keyedPage<E extends object>(em: EntityManager, entity: EntityClass<E>, query: KeyedPageQuery<E>): Promise<E[]>;
}
