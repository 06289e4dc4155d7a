/**
 * Unicode case folding for identifiers (addresses, logins, folder names): two strings are the
 * same identifier exactly when their folds are equal. It follows NFKC_Casefold (Unicode §3.13,
 * UAX #31): compatibility forms become the plain characters they stand for (ｂｏｘ → box, ﬁ → fi),
 * default-ignorable code points (joiners, variation selectors, fillers) are dropped, and case is
 * folded fully (ΑΣ, ασ, ας → ασ; Straße, STRASSE → strasse; ǅ, Ǆ → dž).
 *
 * The case tables are the runtime's own (ICU), so the domain ships no Unicode data: upper-casing
 * then lower-casing one code point is its full case folding, with two exceptions: the Turkic
 * dotless ı, which folding keeps as a letter of its own, and Cherokee, which folds to capitals.
 * `test/domain/case-fold.test.ts` proves the whole mapping against the Unicode Character Database.
 * Code points are mapped one at a time, so no context rule (the final-sigma ς of `toLowerCase`)
 * makes a character fold differently by its neighbours. One round can leave work for another
 * (ẞ → ß → ss; a fold that NFC then composes), so rounds repeat until nothing changes.
 */
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const CHEROKEE = /^\p{Script=Cherokee}$/u;
/** Far above what any string needs (two rounds at most for Unicode 17); a bound, not a tuning. */
const MAX_ROUNDS = 8;

export function caseFold(input: string): string {
  let current = input;
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const next = foldOnce(current);
    if (next === current) return next;
    current = next;
  }
  return current;
}

/** Whether `text` is its own fold, that is, the stored form of an identifier. */
export function isCaseFolded(text: string): boolean {
  return caseFold(text) === text;
}

function foldOnce(text: string): string {
  let folded = '';
  for (const char of text.normalize('NFKC').replace(DEFAULT_IGNORABLE, '')) folded += foldCodePoint(char);
  return folded.normalize('NFC');
}

function foldCodePoint(char: string): string {
  if (char === 'ı') return char;
  // Cherokee capitals were encoded first, so folding maps its small letters to them
  if (CHEROKEE.test(char)) return char.toUpperCase();
  let lower = '';
  for (const upper of char.toUpperCase()) lower += upper.toLowerCase();
  return lower;
}
