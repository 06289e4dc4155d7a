/**
 * Addresses as people read them, and searches that find them in either form. Names are stored in
 * their ASCII form (IDN labels as `xn--…`); the studio shows them in Unicode, and a search typed
 * in Unicode (`bücher`) is also run in punycode (`xn--bcher-kva`), so both forms find the same rows.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

const NON_ASCII = /[^\x00-\x7f]/;

/** A domain name, an address or a catch-all (`@domain`) with its domain in Unicode. */
export function unicodeAddress(text: string): string {
  if (!text.includes('xn--')) return text;
  const at = text.lastIndexOf('@');
  const shown = domainToUnicode(text.slice(at + 1));
  return shown ? `${text.slice(0, at + 1)}${shown}` : text;
}

/**
 * The forms a search is run in: as typed, and with each label that holds non-ASCII characters in
 * punycode (a whole label: `bücher` finds `xn--bcher-kva`, a part of one cannot be encoded alone).
 */
export function searchForms(q: string): string[] {
  if (!NON_ASCII.test(q)) return [q];
  const ascii = q
    .split(/([@.])/)
    .map((part) => (NON_ASCII.test(part) ? domainToASCII(part) || part : part))
    .join('');
  return ascii === q ? [q] : [q, ascii];
}
