/**
 * Read-only browsing for the studio: paged, filtered lists and detail reads over every table,
 * with the counts an admin wants to see next to each row.
 *
 * Every read is a snapshot unit of work (a READ ONLY, REPEATABLE READ transaction, database
 * errors translated like any other use case's), so the studio cannot write through this module
 * even by mistake, and a page is one consistent snapshot.
 * Filters go through MikroORM (`em.find`, `em.count`, QueryBuilder): what the user types is only
 * ever a bound parameter. The few `raw()` fragments are constant aggregate expressions.
 */
import { raw } from '@mikro-orm/core';
import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager, FilterQuery, QBFilterQuery } from '@mikro-orm/postgresql';
import { Alias } from '../domain/alias.js';
import { Domain } from '../domain/domain.js';
import { Email } from '../domain/email.js';
import { NotFoundError } from '../domain/errors.js';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import { MailboxUsage } from '../domain/mailbox-usage.js';
import { User } from '../domain/user.js';
import { decodeCursor, decodeEmailCursor, encodeCursor, type KeysetPosition } from '../application/keyset-cursor.js';
import { checkId } from '../application/loading.js';
import type { UnitOfWork } from '../application/unit-of-work.js';
import {
  type AliasView,
  type DomainView,
  type EmailSummary,
  type EmailView,
  type FolderView,
  type MailboxView,
  type UserView,
  toAliasView,
  toDomainView,
  toEmailSummary,
  toEmailView,
  toFolderView,
  toMailboxView,
  toUserView,
} from '../application/views.js';
import { emailPage, type EmailListRow } from '../infrastructure/persistence/read-models/email-page.js';
import { folderTotals } from '../infrastructure/persistence/read-models/statistics.js';
import { countRows } from '../infrastructure/persistence/table-counts.js';
import { listReads } from '../infrastructure/persistence/read-models/index.js';
import type { HoldingsReads, KeyedPageReads } from '../application/read-models.js';
import { searchForms, unicodeAddress } from './unicode.js';

export const PAGE_SIZE = 25;
export const MAX_SEARCH_LENGTH = 200;
/** How many users an "act as" select offers (the page's owner is always among them). */
export const ACTOR_CHOICES = 100;

export interface Page<T> {
  items: T[];
  /** How many rows match the filters, over all pages. */
  total: number;
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

export interface UserRow extends UserView {
  domainCount: number;
  mailboxCount: number;
  aliasCount: number;
  emailCount: number;
  storageBytes: number;
}

export interface DomainRow extends DomainView {
  ownerEmail: string;
  mailboxCount: number;
  aliasCount: number;
  storageBytes: number;
}

export interface MailboxRow extends MailboxView {
  domainName: string;
  ownerId: string;
  ownerEmail: string;
}

export interface FolderRow extends FolderView {
  emails: number;
  unread: number;
  bytes: number;
}

export interface MailboxDetail extends MailboxRow {
  folderRows: FolderRow[];
}

export interface AliasRow extends AliasView {
  domainName: string;
  ownerId: string;
  ownerEmail: string;
}

export type EmailRow = EmailListRow;

export interface EmailDetail extends EmailView {
  mailboxAddress: string;
  folderPath: string;
  ownerId: string;
  /** Every folder of the mailbox, for "move to". */
  folders: FolderView[];
}

export interface Totals {
  users: number;
  domains: number;
  verifiedDomains: number;
  mailboxes: number;
  aliases: number;
  folders: number;
  emails: number;
  storageBytes: number;
}

export interface Dashboard {
  totals: Totals;
  topUsers: UserRow[];
  topDomains: DomainRow[];
  fullestMailboxes: MailboxRow[];
}

export interface ActorChoice {
  id: string;
  email: string;
}

export interface ListInput {
  q?: string | undefined;
  after?: string | undefined;
  limit?: number | undefined;
}

/** A `$ilike` pattern that matches `q` anywhere, with LIKE wildcards in `q` taken literally. */
export function containsPattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The search as patterns (at most MAX_SEARCH_LENGTH characters of it), in every form it is
 * stored in (Unicode names also in punycode), or undefined for none.
 */
function search(q: string | undefined): string[] | undefined {
  const trimmed = q?.trim().slice(0, MAX_SEARCH_LENGTH);
  return trimmed ? searchForms(trimmed).map(containsPattern) : undefined;
}

/** Rows where any of the fields contains any of the patterns. */
function matching(fields: readonly string[], patterns: string[] | undefined): object {
  return patterns ? { $or: fields.flatMap((field) => patterns.map((p) => ({ [field]: { $ilike: p } }))) } : {};
}

function pageSize(limit: number | undefined): number {
  return limit !== undefined && Number.isInteger(limit) && limit > 0 && limit <= 200 ? limit : PAGE_SIZE;
}

function paged<E, T>(
  rows: E[],
  limit: number,
  total: number,
  key: (row: E) => KeysetPosition,
  map: (rows: E[]) => T[],
): Page<T> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { items: map(shown), total, next: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

/**
 * A page of a list ordered by one text column (a user's email, a domain's name, an address) and
 * then the id, which breaks ties (several users may claim one domain name): the total that
 * matches, then the rows after the cursor's key (the keyed page read model).
 */
async function pageByKey<E extends { id: string }, T>(
  em: EntityManager,
  reads: KeyedPageReads,
  entity: EntityClass<E>,
  where: FilterQuery<E>,
  key: keyof E & string,
  input: ListInput,
  populate: readonly string[],
  toRows: (rows: E[]) => T[] | Promise<T[]>,
): Promise<Page<T>> {
  const limit = pageSize(input.limit);
  const after = input.after ? decodeCursor(input.after) : undefined;
  // the filter is built for E; MikroORM's types cannot follow it through a generic entity
  const total = await em.count(entity, where as never);
  const rows = await reads.keyedPage(em, entity, { where, key, limit: limit + 1, after });
  if (populate.length) await em.populate(rows, populate as never);
  const page = paged(
    rows,
    limit,
    total,
    (row) => ({ key: String(row[key]), id: row.id }),
    (shown) => shown,
  );
  return { ...page, items: await toRows(page.items) };
}

/** The read models the studio's lists use (ports in application/read-models.ts). */
export type StudioReads = HoldingsReads & KeyedPageReads;

export class StudioQueries {
  constructor(
    private readonly run: UnitOfWork,
    private readonly reads: StudioReads = listReads,
  ) {}

  /** One read-only snapshot; nothing can be written through `em`. */
  private async read<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.run(work, { snapshot: true });
  }

  async dashboard(top = 8): Promise<Dashboard> {
    return this.read(async (em) => {
      const counts = await countRows(em);
      const [storage] = await em
        .createQueryBuilder(MailboxUsage, 'mu')
        .select([raw('coalesce(sum(mu.used_bytes), 0)::bigint as bytes')])
        .execute<{ bytes: string }[]>('all', false);
      const verifiedDomains = await em.count(Domain, { verified: true });

      // everyone ranks, storage or not: users and domains without mailboxes count 0 bytes
      const userStorage = await em
        .createQueryBuilder(User, 'u')
        .select([raw('u.id as id')])
        .leftJoin('u.domains', 'd')
        .leftJoin('d.mailboxes', 'm')
        .leftJoin('m.usage', 'mu')
        .groupBy(raw('u.id'))
        .orderBy([{ [raw('coalesce(sum(mu.used_bytes), 0)')]: 'desc' }, { [raw('u.email')]: 'asc' }])
        .limit(top)
        .execute<{ id: string }[]>('all', false);
      const users = await em.find(User, { id: { $in: userStorage.map((r) => r.id) } });
      const topUsers = (await userRows(em, this.reads, users)).sort(
        (a, b) => b.storageBytes - a.storageBytes || a.email.localeCompare(b.email),
      );

      const domainStorage = await em
        .createQueryBuilder(Domain, 'd')
        .select([raw('d.id as id')])
        .leftJoin('d.mailboxes', 'm')
        .leftJoin('m.usage', 'mu')
        .groupBy(raw('d.id'))
        .orderBy([{ [raw('coalesce(sum(mu.used_bytes), 0)')]: 'desc' }, { [raw('d.name')]: 'asc' }])
        .limit(top)
        .execute<{ id: string }[]>('all', false);
      const domains = await em.find(Domain, { id: { $in: domainStorage.map((r) => r.id) } }, { populate: ['owner'] });
      const topDomains = (await domainRows(em, this.reads, domains)).sort(
        (a, b) => b.storageBytes - a.storageBytes || a.name.localeCompare(b.name),
      );

      // the fullest by share of their quota, read from their usage rows
      const fullestIds = await em
        .createQueryBuilder(MailboxUsage, 'mu')
        .select([raw('mu.mailbox_id as id')])
        .join('mu.mailbox', 'm')
        .where({ quotaBytes: { $gt: 0 } })
        .orderBy([
          { [raw('mu.used_bytes::float8 / mu.quota_bytes')]: 'desc' },
          { [raw('mu.used_bytes')]: 'desc' },
          { [raw('m.address')]: 'asc' },
        ])
        .limit(top)
        .execute<{ id: string }[]>('all', false);
      const rank = new Map(fullestIds.map((r, i) => [r.id, i]));
      const fullest = (
        await em.find(Mailbox, { id: { $in: [...rank.keys()] } }, { populate: ['domain', 'domain.owner'] })
      ).sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
      return {
        totals: {
          users: counts.user,
          domains: counts.domain,
          verifiedDomains,
          mailboxes: counts.mailbox,
          aliases: counts.alias,
          folders: counts.folder,
          emails: counts.email,
          storageBytes: Number(storage?.bytes ?? 0),
        },
        topUsers,
        topDomains,
        fullestMailboxes: fullest.map(toMailboxRow),
      };
    });
  }

  async listUsers(input: ListInput & { status?: string | undefined }): Promise<Page<UserRow>> {
    const patterns = search(input.q);
    const where: FilterQuery<User> = {
      ...matching(['email', 'name'], patterns),
      ...(input.status === 'active' || input.status === 'suspended' ? { status: input.status } : {}),
    };
    return this.read((em) =>
      pageByKey(em, this.reads, User, where, 'email', input, [], (users) => userRows(em, this.reads, users)),
    );
  }

  async getUser(id: string): Promise<UserRow> {
    const userId = checkId(id, 'user');
    return this.read(async (em) => {
      const user = await em.findOne(User, { id: userId });
      if (!user) throw new NotFoundError('user');
      return (await userRows(em, this.reads, [user]))[0]!;
    });
  }

  async listDomains(
    input: ListInput & { owner?: string | undefined; verified?: string | undefined; status?: string | undefined },
  ): Promise<Page<DomainRow>> {
    const patterns = search(input.q);
    const where: FilterQuery<Domain> = {
      ...matching(['name'], patterns),
      ...(input.owner ? { owner: checkId(input.owner, 'user') } : {}),
      ...(input.verified === 'yes' || input.verified === 'no' ? { verified: input.verified === 'yes' } : {}),
      ...(input.status === 'active' || input.status === 'suspended' ? { status: input.status } : {}),
    };
    return this.read((em) =>
      // in the order people read the names (bücher.example beside buch.example, not among xn--…)
      pageByKey(em, this.reads, Domain, where, 'unicodeName', input, ['owner'], (domains) =>
        domainRows(em, this.reads, domains),
      ),
    );
  }

  async getDomain(id: string): Promise<DomainRow> {
    const domainId = checkId(id, 'domain');
    return this.read(async (em) => {
      const domain = await em.findOne(Domain, { id: domainId }, { populate: ['owner'] });
      if (!domain) throw new NotFoundError('domain');
      return (await domainRows(em, this.reads, [domain]))[0]!;
    });
  }

  async listMailboxes(
    input: ListInput & { domain?: string | undefined; status?: string | undefined },
  ): Promise<Page<MailboxRow>> {
    const patterns = search(input.q);
    const where: FilterQuery<Mailbox> = {
      ...matching(['address'], patterns),
      ...(input.domain ? { domain: checkId(input.domain, 'domain') } : {}),
      ...(input.status === 'active' || input.status === 'suspended' ? { status: input.status } : {}),
    };
    return this.read((em) =>
      pageByKey(em, this.reads, Mailbox, where, 'address', input, ['domain', 'domain.owner'], (ms) =>
        ms.map(toMailboxRow),
      ),
    );
  }

  async getMailbox(id: string): Promise<MailboxDetail> {
    const mailboxId = checkId(id, 'mailbox');
    return this.read(async (em) => {
      const mailbox = await em.findOne(Mailbox, { id: mailboxId }, { populate: ['domain', 'domain.owner'] });
      if (!mailbox) throw new NotFoundError('mailbox');
      const folders = await em.find(Folder, { mailbox }, { orderBy: { role: 'asc', path: 'asc' } });
      const byFolder = await folderTotals(em, mailbox.id);
      const folderRows = sortFolders(folders).map((f) => ({ ...toFolderView(f), ...(byFolder.get(f.id) ?? NO_EMAIL) }));
      return { ...toMailboxRow(mailbox), folderRows };
    });
  }

  async listAliases(input: ListInput & { domain?: string | undefined }): Promise<Page<AliasRow>> {
    const patterns = search(input.q);
    const where: FilterQuery<Alias> = {
      ...matching(['address'], patterns),
      ...(input.domain ? { domain: checkId(input.domain, 'domain') } : {}),
    };
    return this.read((em) =>
      pageByKey(em, this.reads, Alias, where, 'address', input, ['domain', 'domain.owner'], (as) =>
        as.map((a) => ({
          ...toAliasView(a),
          address: unicodeAddress(a.address),
          destinations: a.destinations.map(unicodeAddress),
          domainName: a.domain.displayName,
          ownerId: a.domain.owner.id,
          ownerEmail: unicodeAddress(a.domain.owner.email),
        })),
      ),
    );
  }

  /** Email, newest first, optionally in one mailbox or folder; `q` searches subject and sender. */
  async listEmail(
    input: ListInput & {
      mailbox?: string | undefined;
      folder?: string | undefined;
      unread?: boolean;
      flagged?: boolean;
    },
  ): Promise<Page<EmailRow>> {
    const limit = pageSize(input.limit);
    const patterns = search(input.q);
    const where: QBFilterQuery<Email, 'e'> = {
      ...(input.mailbox ? { mailbox: checkId(input.mailbox, 'mailbox') } : {}),
      // a folder is keyed by (mailbox, id): with its mailbox the condition is on email's own columns
      ...(input.folder
        ? {
            folder: input.mailbox
              ? [checkId(input.mailbox, 'mailbox'), checkId(input.folder, 'folder')]
              : { id: checkId(input.folder, 'folder') },
          }
        : {}),
      ...matching(['subject', 'fromAddress'], patterns),
      ...(input.unread ? { seen: false } : {}),
      ...(input.flagged ? { flagged: true } : {}),
    };
    const after = input.after ? decodeEmailCursor(input.after) : undefined;
    return this.read(async (em) => {
      const total = await em.count(Email, where);
      const rows = await emailPage(em, where, { limit: limit + 1, after });
      return paged(
        rows,
        limit,
        total,
        (e) => ({ key: e.receivedAt.toISOString(), id: e.id }),
        (es) => es.map((e) => ({ ...e, ...shownParties(e), mailboxAddress: unicodeAddress(e.mailboxAddress) })),
      );
    });
  }

  /** One email with its body. Reading here changes nothing (no "seen" flag is set). */
  async getEmail(mailboxId: string, emailId: string): Promise<EmailDetail> {
    const mailbox = checkId(mailboxId, 'mailbox');
    const id = checkId(emailId, 'email');
    return this.read(async (em) => {
      const email = await em.findOne(
        Email,
        { mailbox, id },
        { populate: ['body', 'mailbox', 'folder', 'mailbox.domain'] },
      );
      if (!email) throw new NotFoundError('email');
      const folders = await em.find(Folder, { mailbox }, { orderBy: { role: 'asc', path: 'asc' } });
      const view = toEmailView(email);
      return {
        ...view,
        ...shownParties(view),
        mailboxAddress: unicodeAddress(email.mailbox.address),
        folderPath: email.folder.path,
        ownerId: email.mailbox.domain.owner.id,
        folders: sortFolders(folders).map(toFolderView),
      };
    });
  }

  /** Users for an "act as" select: the first ones by email, plus the ones that must be offered. */
  async actorChoices(include: string[] = []): Promise<ActorChoice[]> {
    return this.read(async (em) => {
      const first = await em.find(
        User,
        {},
        { orderBy: { email: 'asc' }, limit: ACTOR_CHOICES, fields: ['id', 'email'] },
      );
      const missing = include.filter((id) => !first.some((u) => u.id === id));
      const extra = missing.length ? await em.find(User, { id: { $in: missing } }, { fields: ['id', 'email'] }) : [];
      return [...first, ...extra]
        .map((u) => ({ id: u.id, email: unicodeAddress(u.email) }))
        .sort((a, b) => a.email.localeCompare(b.email));
    });
  }
}

const NO_EMAIL = { emails: 0, unread: 0, bytes: 0 } as const;

/** Special-use folders first, in their usual order, then user folders by path. */
function sortFolders(folders: Folder[]): Folder[] {
  const rank = (f: Folder) =>
    f.role === null ? 99 : ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash'].indexOf(f.role);
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

function toMailboxRow(mailbox: Mailbox): MailboxRow {
  return {
    ...toMailboxView(mailbox),
    address: unicodeAddress(mailbox.address),
    domainName: mailbox.domain.displayName,
    ownerId: mailbox.domain.owner.id,
    ownerEmail: unicodeAddress(mailbox.domain.owner.email),
  };
}

/** The sender and recipients of an email as people read them. */
function shownParties(email: EmailSummary): Pick<EmailSummary, 'from' | 'to' | 'cc'> {
  return { from: unicodeAddress(email.from), to: email.to.map(unicodeAddress), cc: email.cc.map(unicodeAddress) };
}

/** Users with how much they own (the holdings read model: a few grouped queries for the whole page). */
async function userRows(em: EntityManager, reads: HoldingsReads, users: User[]): Promise<UserRow[]> {
  const totals = await reads.userTotalsOf(em, ids(users));
  return users.map((user) => {
    const { domains, mailboxes, aliases, emails, storageBytes } = totals.get(user.id)!;
    const counts = { domainCount: domains, mailboxCount: mailboxes, aliasCount: aliases, emailCount: emails };
    return { ...toUserView(user), email: unicodeAddress(user.email), ...counts, storageBytes };
  });
}

/** Domains (owner loaded) with their mailbox and alias counts and storage. */
async function domainRows(em: EntityManager, reads: HoldingsReads, domains: Domain[]): Promise<DomainRow[]> {
  const totals = await reads.domainTotalsOf(em, ids(domains));
  return domains.map((domain) => {
    const { mailboxes, aliases, storageBytes } = totals.get(domain.id)!;
    const owner = unicodeAddress(domain.owner.email);
    return { ...toDomainView(domain), ownerEmail: owner, mailboxCount: mailboxes, aliasCount: aliases, storageBytes };
  });
}

const ids = (rows: { id: string }[]): string[] => rows.map((row) => row.id);
