import { ValidationError } from './errors.js';
import { MAX_UID } from './folder.js';

/** Ranges of a UID set, inclusive; `*` (the largest UID in use) is resolved by the caller. */
export type UidRange = readonly [number, number | '*'];

/** The most ranges one set may name (a client can always split its request). */
export const MAX_UID_RANGES = 1_000;

/**
 * Parses an IMAP sequence set of UIDs (RFC 3501 `sequence-set`): `1`, `2:4`, `7:*`, `*`, joined by
 * commas; or an array of UIDs. Refuses anything else with INVALID_UID_SET.
 */
export function parseUidSet(set: unknown): UidRange[] {
  const bad = (why: string): never => {
    throw new ValidationError('INVALID_UID_SET', `a UID set ${why}`);
  };
  if (Array.isArray(set)) {
    if (set.length === 0 || set.length > MAX_UID_RANGES) bad(`lists 1–${MAX_UID_RANGES} UIDs`);
    return Array.from(set, (uid) => {
      if (!Number.isInteger(uid) || uid < 1 || uid > MAX_UID) bad(`holds UIDs from 1 to ${MAX_UID}`);
      return [uid as number, uid as number] as const;
    });
  }
  if (typeof set !== 'string' || set.length === 0) bad('is text like "1:4,7,9:*" or a list of UIDs');
  const parts = (set as string).split(',');
  if (parts.length > MAX_UID_RANGES) bad(`has at most ${MAX_UID_RANGES} ranges`);
  const number = (text: string): number | '*' => {
    if (text === '*') return '*';
    if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > MAX_UID)
      bad(`names UIDs from 1 to ${MAX_UID}, not ${text.slice(0, 20)}`);
    return Number(text);
  };
  return parts.map((part) => {
    const [a, b, extra] = part.split(':');
    if (a === undefined || extra !== undefined) bad(`has a malformed range ${part.slice(0, 20)}`);
    const from = number(a!);
    const to = b === undefined ? from : number(b);
    // "4:2" is "2:4" in IMAP; `*` sorts last
    if (from === '*') return [to === '*' ? MAX_UID : to, '*'] as const;
    if (to === '*') return [from, '*'] as const;
    return [Math.min(from, to), Math.max(from, to)] as const;
  });
}

/** Whether `uid` is in the set, `*` standing for `largest`. */
export function inUidSet(ranges: UidRange[], uid: number, largest: number): boolean {
  return ranges.some(([from, to]) => {
    const high = to === '*' ? largest : to;
    const low = to === '*' ? Math.min(from, largest) : from;
    return uid >= low && uid <= high;
  });
}
