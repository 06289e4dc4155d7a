/**
 * Search in a folder (IMAP SEARCH, JMAP Email/query): full-text over subject, addresses and body
 * text, combined with the IMAP basics (SINCE, BEFORE, flags, keywords, UID sets); results in the
 * folder's order (UID ascending), bounded and paged by keyset.
 *
 * Full text is PostgreSQL's: `email_search_document` (the migration's) makes a tsvector of an
 * email with the `simple` configuration — words lower-cased, no stemming and no stop words, so
 * mail in any language is found by the words it contains (a language's stemmer would serve one
 * language and mangle the others; the mailbox does not say which language a message is in). A
 * criterion's text is split into words by the same parser, and every word must appear in the
 * field it names (weights: A subject, B sender, C recipients, D body; TEXT is any of them). The
 * GIN expression index on every partition of `email` answers it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Email, type EmailFlags } from '../domain/email.js';
import { ValidationError } from '../domain/errors.js';
import { checkKeywords, SYSTEM_FLAGS } from '../domain/imap-flags.js';
import { parseUidSet, type UidRange } from '../domain/uid-set.js';
import { decodeCursor, encodeCursor } from './keyset-cursor.js';
import { checkId } from './loading.js';
import { sqlFunction, sqlTable } from './sql-table.js';

/** What a search asks; every criterion given must hold (IMAP's implicit AND). */
export interface SearchQuery {
  mailboxId: string;
  folderId: string;
  /** TEXT: words anywhere in the subject, the addresses or the body text. */
  text?: string;
  /** SUBJECT: words of the subject. */
  subject?: string;
  /** FROM: words of the sender's address (`bob`, `example`, `bob@example.com`). */
  from?: string;
  /** TO: words of the recipients' addresses (To and Cc). */
  to?: string;
  /** BODY: words of the body text. */
  body?: string;
  /** SINCE: received at or after this instant (IMAP's INTERNALDATE). */
  since?: Date;
  /** BEFORE: received before this instant. */
  before?: Date;
  /** Flags that must be set (true) or clear (false): SEEN / UNSEEN, FLAGGED / UNFLAGGED … */
  flags?: Partial<EmailFlags>;
  /** KEYWORD: every one of these keywords set. */
  keywords?: string[];
  /** UNKEYWORD: none of these keywords set. */
  withoutKeywords?: string[];
  /** A UID set (`1:100,200:*`) the results must be in. */
  uids?: string | number[];
  /** Results per page, 1–MAX_SEARCH_PAGE (100 by default). */
  limit?: number;
  /** The previous page's nextCursor. */
  cursor?: string | null;
}

export interface SearchHit {
  emailId: string;
  uid: number;
  modseq: number;
  threadId: string;
}

export interface SearchPage {
  /** In UID order. */
  items: SearchHit[];
  /** Pass back as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

export const MAX_SEARCH_PAGE = 1_000;
/** The longest text of one criterion, in characters. */
export const MAX_SEARCH_TEXT = 1_000;
/** The most words one search may ask for, over all its criteria. */
export const MAX_SEARCH_WORDS = 32;
/** Body text past this many characters is not indexed (a tsvector has a size limit). */
export const SEARCHED_BODY_CHARS = 100_000;

const TEXT_FIELDS = { text: '', subject: 'A', from: 'B', to: 'C', body: 'D' } as const;
type TextField = keyof typeof TEXT_FIELDS;

const invalid = (why: string) => new ValidationError('INVALID_SEARCH', why);

/** The query checked: nothing is looked up before every criterion is well formed. */
export interface CheckedSearch {
  mailboxId: string;
  folderId: string;
  texts: [TextField, string][];
  since?: Date;
  before?: Date;
  flags: [keyof EmailFlags, boolean][];
  keywords: string[];
  withoutKeywords: string[];
  uids: UidRange[] | null;
  limit: number;
  after: number;
}

export function checkSearch(query: SearchQuery): CheckedSearch {
  if (typeof query !== 'object' || query === null) throw invalid('a search is an object of criteria');
  const mailboxId = checkId(query.mailboxId, 'mailbox');
  const folderId = checkId(query.folderId, 'folder');
  const texts: [TextField, string][] = [];
  for (const field of Object.keys(TEXT_FIELDS) as TextField[]) {
    const value = query[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_SEARCH_TEXT || !value.isWellFormed() || value.includes('\0')) {
      throw invalid(`${field} is text of at most ${MAX_SEARCH_TEXT} characters`);
    }
    texts.push([field, value]);
  }
  const date = (value: unknown, what: string) => {
    if (value === undefined) return undefined;
    const year = value instanceof Date ? value.getUTCFullYear() : NaN;
    if (!(value instanceof Date) || Number.isNaN(value.getTime()) || year < 1 || year > 9999) {
      throw invalid(`${what} is a valid date`);
    }
    return value;
  };
  const since = date(query.since, 'since');
  const before = date(query.before, 'before');
  const flags: [keyof EmailFlags, boolean][] = [];
  if (query.flags !== undefined) {
    if (typeof query.flags !== 'object' || query.flags === null) throw invalid('flags is an object of true/false');
    for (const [name, value] of Object.entries(query.flags)) {
      if (!(SYSTEM_FLAGS as readonly string[]).includes(name) || typeof value !== 'boolean') {
        throw invalid(`flags are ${SYSTEM_FLAGS.join(', ')}, each true or false`);
      }
      flags.push([name as keyof EmailFlags, value]);
    }
  }
  const list = (value: unknown, what: string) => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw invalid(`${what} is a list of keywords`);
    return checkKeywords(Array.from(value));
  };
  const limit = query.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_PAGE) {
    throw invalid(`a page holds 1–${MAX_SEARCH_PAGE} results`);
  }
  let after = 0;
  if (query.cursor !== undefined && query.cursor !== null) {
    const { key } = decodeCursor(query.cursor);
    if (!/^[1-9][0-9]{0,9}$/.test(key)) throw new ValidationError('INVALID_CURSOR', 'that page cursor is not valid');
    after = Number(key);
  }
  return {
    mailboxId,
    folderId,
    texts,
    ...(since ? { since } : {}),
    ...(before ? { before } : {}),
    flags,
    keywords: list(query.keywords, 'keywords'),
    withoutKeywords: list(query.withoutKeywords, 'withoutKeywords'),
    uids: query.uids === undefined ? null : parseUidSet(query.uids),
    limit,
    after,
  };
}

/** A lexeme as tsquery input writes it: quoted, quotes and backslashes doubled. */
const quoteLexeme = (lexeme: string) => `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

/**
 * The tsquery of the text criteria: each split into words by the `simple` configuration (as the
 * document was), each word restricted to its field's weight, all of them required. Null when the
 * search has no text criteria; INVALID_SEARCH when one of them has no word.
 */
export async function searchTsquery(em: EntityManager, texts: [TextField, string][]): Promise<string | null> {
  if (texts.length === 0) return null;
  const [row] = await em.getConnection().execute<Record<string, string[]>[]>(
    `select ${texts.map((_, i) => `array(select lexeme from unnest(to_tsvector('simple'::regconfig, ?)) order by lexeme) as w${i}`).join(', ')}`,
    texts.map(([, value]) => value),
    'all',
    em.getTransactionContext(),
  );
  const parts: string[] = [];
  let count = 0;
  texts.forEach(([field, value], i) => {
    const words = row![`w${i}`] ?? [];
    if (words.length === 0) throw invalid(`${field} ${JSON.stringify(value.slice(0, 40))} has no word to search for`);
    count += words.length;
    const weight = TEXT_FIELDS[field];
    for (const word of words) parts.push(`${quoteLexeme(word)}${weight ? `:${weight}` : ''}`);
  });
  if (count > MAX_SEARCH_WORDS) throw invalid(`a search has at most ${MAX_SEARCH_WORDS} words`);
  return parts.join(' & ');
}

/** The SQL of one page of a checked search (the benchmark and the plan test read it too). */
export function searchStatement(
  em: EntityManager,
  search: CheckedSearch,
  tsquery: string | null,
  largestUid: number,
): { sql: string; params: unknown[] } {
  const where = ['e.mailbox_id = ?', 'e.folder_id = ?'];
  const params: unknown[] = [search.mailboxId, search.folderId];
  if (tsquery !== null) {
    where.push(
      `${sqlFunction(em, 'email_search_document')}(e.subject, e.from_address, e.to_addresses, e.cc_addresses, e.body) @@ ?::tsquery`,
    );
    params.push(tsquery);
  }
  if (search.since) where.push('e.received_at >= ?') && params.push(search.since);
  if (search.before) where.push('e.received_at < ?') && params.push(search.before);
  for (const [flag, value] of search.flags) where.push(`e.${flag} = ${value ? 'true' : 'false'}`);
  const array = (values: string[]) => `array[${values.map(() => '?').join(', ')}]::text[]`;
  if (search.keywords.length > 0)
    where.push(`e.keywords @> ${array(search.keywords)}`) && params.push(...search.keywords);
  if (search.withoutKeywords.length > 0) {
    where.push(`not (e.keywords && ${array(search.withoutKeywords)})`);
    params.push(...search.withoutKeywords);
  }
  if (search.uids) {
    const bounds = search.uids.map(([from, to]) =>
      to === '*' ? [Math.min(from, largestUid), Math.max(from, largestUid)] : [from, to],
    );
    where.push(`(${bounds.map(() => 'e.uid between ? and ?').join(' or ')})`);
    params.push(...bounds.flat());
  }
  if (search.after > 0) where.push('e.uid > ?') && params.push(search.after);
  params.push(search.limit + 1);
  return {
    sql: `select e.id, e.uid, e.modseq, e.thread_id from ${sqlTable(em, Email)} e where ${where.join(' and ')} order by e.uid limit ?`,
    params,
  };
}

/** Runs a checked search in the unit of work `em` (the folder already found). */
export async function runSearch(em: EntityManager, search: CheckedSearch): Promise<SearchPage> {
  const tsquery = await searchTsquery(em, search.texts);
  let largest = 0;
  if (search.uids?.some(([, to]) => to === '*')) {
    const [row] = await em
      .getConnection()
      .execute<{ uid: string | null }[]>(
        `select max(uid) as uid from ${sqlTable(em, Email)} where mailbox_id = ? and folder_id = ?`,
        [search.mailboxId, search.folderId],
        'all',
        em.getTransactionContext(),
      );
    largest = Number(row?.uid ?? 0);
  }
  const { sql, params } = searchStatement(em, search, tsquery, largest);
  const rows = await em
    .getConnection()
    .execute<{ id: string; uid: string; modseq: string; thread_id: string }[]>(
      sql,
      params,
      'all',
      em.getTransactionContext(),
    );
  const items = rows.slice(0, search.limit).map((r) => ({
    emailId: r.id,
    uid: Number(r.uid),
    modseq: Number(r.modseq),
    threadId: r.thread_id,
  }));
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > search.limit && last ? encodeCursor({ key: String(last.uid), id: last.emailId }) : null,
  };
}
