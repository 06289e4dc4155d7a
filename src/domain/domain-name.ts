import { LRUCache } from 'lru-cache';
import { domainToASCII, domainToUnicode } from 'node:url';
import { ValidationError } from './errors.js';

/** RFC 1035: 255 octets on the wire, which is 253 in dotted text form. */
export const MAX_DOMAIN_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;
/**
 * Bound on the raw input, checked before any other work. IDNA mapping can drop characters
 * (soft hyphens, variation selectors), so a Unicode input may be somewhat longer than its
 * ASCII form, but never this much for a name that fits in 253 octets.
 */
const MAX_INPUT_LENGTH = 1024;

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;
/** The only ASCII characters a domain name may contain (before IDNA lower-casing). */
const ASCII_NOT_ALLOWED = /[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/;

/**
 * Homograph defence: a label may use letters from at most one of these scripts, which hold the
 * usual look-alikes of one another (Latin a / Cyrillic а / Greek α …). Scripts outside this list
 * (Han, Hiragana, Katakana, Hangul, Thai, …) are not counted, so Japanese (Han + kana + Latin) and
 * Korean (Han + Hangul) labels stay allowed. Digits and '-' are script Common and never count.
 * Whole-script look-alikes (an all-Cyrillic "аррӏе") are not caught here.
 */
const CONFUSABLE_SCRIPTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
];

/**
 * A fully qualified domain name, stored in its ASCII (punycode, lower-case) form, without the
 * trailing dot. Unicode input is converted with Node's own UTS #46 / IDNA implementation.
 */
export class DomainName {
  readonly #unicode: string;

  private constructor(
    /** The stored form: lower-case ASCII, IDN labels as `xn--…`. */
    readonly ascii: string,
    unicode: string,
  ) {
    this.#unicode = unicode;
  }

  static parse(input: string): DomainName {
    if (typeof input !== 'string') throw invalid('', `expected a string, got ${typeof input}`);
    // names are parsed again and again (every delivery, every view of a domain): the answer for an
    // input never changes, and the checks below are the costly part
    const known = PARSED.get(input);
    if (known) return known;
    const parsed = DomainName.check(input);
    PARSED.set(input, parsed);
    return parsed;
  }

  private static check(input: string): DomainName {
    if (input.length > MAX_INPUT_LENGTH) {
      throw invalid(input, `it is longer than ${MAX_DOMAIN_LENGTH} octets`);
    }
    if (!input.isWellFormed()) throw invalid(input, 'it contains an unpaired surrogate');
    const trimmed = input.trim();
    if (trimmed === '') throw invalid(input, 'it is empty');
    // domainToASCII follows the WHATWG URL host parser, which would percent-decode, drop tabs,
    // cut at '/', read "0x7f.1" as an IPv4 address, …: refuse every ASCII character that has no
    // place in a host name before it gets the chance.
    if (ASCII_NOT_ALLOWED.test(trimmed)) {
      throw invalid(input, 'only letters, digits, "-" and "." are allowed');
    }

    let ascii = domainToASCII(trimmed).toLowerCase();
    if (ascii === '') throw invalid(input, 'it is not a valid internationalised domain name');
    if (ascii.endsWith('.')) ascii = ascii.slice(0, -1); // one trailing dot: the DNS root

    if (ascii.length > MAX_DOMAIN_LENGTH) {
      throw invalid(input, `it is longer than ${MAX_DOMAIN_LENGTH} octets`);
    }
    const labels = ascii.split('.');
    if (labels.length < 2) throw invalid(input, 'it needs at least two labels (like example.com)');
    for (const label of labels) {
      if (label === '') throw invalid(input, 'it has an empty label');
      if (label.length > MAX_LABEL_LENGTH) {
        throw invalid(input, `a label is longer than ${MAX_LABEL_LENGTH} octets`);
      }
      if (!LABEL.test(label)) {
        throw invalid(input, 'a label may hold only a-z, 0-9 and "-", and may not start or end with "-"');
      }
    }
    const top = labels[labels.length - 1] ?? '';
    if (ALL_DIGITS.test(top)) {
      throw invalid(input, 'the top-level label is all digits (IP addresses are not domain names)');
    }
    // no top-level domain has a single character
    if (top.length < 2) {
      throw invalid(input, 'the top-level label needs at least two characters');
    }

    // Check every xn-- label really is valid punycode of a valid IDN: Node passes undecodable
    // ones ("xn--zz") through unchanged, and a decodable one must map back to the same label.
    const unicode = domainToUnicode(ascii);
    const unicodeLabels = unicode.split('.');
    if (
      unicodeLabels.length !== labels.length ||
      unicodeLabels.some((label) => label.startsWith('xn--')) ||
      domainToASCII(unicode) !== ascii
    ) {
      throw invalid(input, 'it has a malformed punycode (xn--) label');
    }

    for (const label of unicodeLabels) {
      const scripts = CONFUSABLE_SCRIPTS.filter(([, re]) => re.test(label)).map(([name]) => name);
      if (scripts.length > 1) {
        throw invalid(input, `the label "${label}" mixes scripts (${scripts.join(', ')})`);
      }
    }

    return new DomainName(ascii, unicode);
  }

  /** The display form, with IDN labels in Unicode. */
  get unicode(): string {
    return this.#unicode;
  }

  equals(other: DomainName): boolean {
    return this.ascii === other.ascii;
  }

  toString(): string {
    return this.ascii;
  }

  toJSON(): string {
    return this.ascii;
  }
}

/** Recently parsed names by input; refusals are not kept (they are rare and carry their input). */
const PARSED = new LRUCache<string, DomainName>({ max: 10_000 });

function invalid(input: string, reason: string): ValidationError {
  return new ValidationError('INVALID_DOMAIN_NAME', `${preview(input)} is not a valid domain name: ${reason}`);
}

/** A short, escaped rendering of untrusted input for an error message. */
function preview(input: string, max = 64): string {
  const cut = input.length > max ? `${input.slice(0, max).toWellFormed()}…` : input.toWellFormed();
  return JSON.stringify(cut);
}
