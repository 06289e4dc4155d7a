import { ValidationError } from './errors.js';

/** The system flags an email carries as columns (IMAP's \Recent is per session, not stored). */
export const SYSTEM_FLAGS = ['seen', 'answered', 'flagged', 'draft', 'deleted'] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];

export const IMAP_SYSTEM_FLAGS: Record<SystemFlag, string> = {
  seen: '\\Seen',
  answered: '\\Answered',
  flagged: '\\Flagged',
  draft: '\\Draft',
  deleted: '\\Deleted',
};

/** Keywords one email may carry, and how long one may be (Dovecot allows 255 per mailbox, Gmail labels are longer). */
export const MAX_KEYWORDS = 64;
export const MAX_KEYWORD_LENGTH = 128;

/**
 * An IMAP keyword is an atom (RFC 3501 `flag-keyword`): printable ASCII without the atom-specials
 * `( ) { ] % * " \` and space. Keywords compare case-insensitively, so they are stored in lower
 * case ($Junk, $junk and $JUNK are one keyword).
 */
const ATOM = /^[\x21-\x7e]+$/;
const SPECIALS = /[(){\]%*"\\]/;

export function checkKeyword(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_KEYWORD_LENGTH ||
    !ATOM.test(value) ||
    SPECIALS.test(value)
  ) {
    throw new ValidationError(
      'INVALID_FLAG',
      `a keyword is 1–${MAX_KEYWORD_LENGTH} printable ASCII characters without spaces or ( ) { ] % * " \\, got ${JSON.stringify(String(value)).slice(0, 80)}`,
    );
  }
  return value.toLowerCase();
}

export function checkKeywords(values: unknown): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) throw new ValidationError('INVALID_FLAG', 'keywords are a list of atoms');
  const keywords = [...new Set(Array.from(values, checkKeyword))].sort();
  if (keywords.length > MAX_KEYWORDS)
    throw new ValidationError('INVALID_FLAG', `an email carries at most ${MAX_KEYWORDS} keywords`);
  return keywords;
}

/** IMAP flag names (`\Seen`, `$Junk`, …) split into system flags and keywords; unknown `\X` is refused. */
export function parseFlagNames(names: unknown): { system: SystemFlag[]; keywords: string[] } {
  if (!Array.isArray(names)) throw new ValidationError('INVALID_FLAG', 'flags are a list of IMAP flag names');
  const system = new Set<SystemFlag>();
  const keywords: string[] = [];
  for (const name of names) {
    if (typeof name === 'string' && name.startsWith('\\')) {
      const flag = SYSTEM_FLAGS.find((f) => IMAP_SYSTEM_FLAGS[f].toLowerCase() === name.toLowerCase());
      if (!flag)
        throw new ValidationError('INVALID_FLAG', `${name.slice(0, 40)} is not a system flag this store keeps`);
      system.add(flag);
    } else keywords.push(name as string);
  }
  return { system: [...system], keywords: checkKeywords(keywords) };
}
