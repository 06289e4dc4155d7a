/**
 * Keyset cursors: where the next page starts, as the ordering key of the last row shown and its
 * id (which breaks ties). Opaque to clients: base64url of `key|id`. The id is a UUID, so it never
 * holds the separator; the key may, and is everything before the last one.
 *
 * The one codec for every paged read: the mail service's folder pages, the studio's lists and
 * the benchmark's deep pages.
 */
import { ValidationError } from '../domain/errors.js';
import { checkId } from './loading.js';

export interface KeysetPosition {
  key: string;
  id: string;
}

/** The newest-first email keyset: when the last email shown arrived, and its id. */
export interface EmailPosition {
  receivedAt: Date;
  id: string;
}

const SEPARATOR = '|';
const utf8 = new TextDecoder('utf-8', { fatal: true });

const invalidCursor = () => new ValidationError('INVALID_CURSOR', 'that page cursor is not valid');

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.key}${SEPARATOR}${position.id}`, 'utf8').toString('base64url');
}

/**
 * Only what encodeCursor makes: anything else (not text, not canonical base64url, not UTF-8, no
 * separator) is INVALID_CURSOR; an id that is not a UUID names nothing and is NOT_FOUND.
 */
export function decodeCursor(cursor: unknown): KeysetPosition {
  const { key, id } = split(cursor);
  return { key, id: checkId(id, 'cursor') };
}

export function encodeEmailCursor(email: EmailPosition): string {
  return encodeCursor({ key: email.receivedAt.toISOString(), id: email.id });
}

export function decodeEmailCursor(cursor: unknown): EmailPosition {
  const { key, id } = split(cursor);
  const receivedAt = new Date(key);
  // only what encodeEmailCursor makes: a timestamp PostgreSQL can hold (years 1 to 9999)
  const year = receivedAt.getUTCFullYear();
  if (Number.isNaN(receivedAt.getTime()) || year < 1 || year > 9999) {
    throw invalidCursor();
  }
  return { receivedAt, id: checkId(id, 'cursor') };
}

/** The key and the id as written, the id not yet checked (a bad key is refused first). */
function split(cursor: unknown): { key: string; id: string } {
  const text = String(cursor);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw invalidCursor();
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    throw invalidCursor();
  }
  const at = decoded.lastIndexOf(SEPARATOR);
  if (at < 0 || at === decoded.length - 1) throw invalidCursor();
  return { key: decoded.slice(0, at), id: decoded.slice(at + 1) };
}
