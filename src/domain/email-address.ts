import { utf8Length } from './byte-size.js';
import { caseFold } from './case-fold.js';
import { DomainName } from './domain-name.js';
import { ValidationError } from './errors.js';

/** RFC 5321 §4.5.3.1.1. */
export const MAX_LOCAL_PART_OCTETS = 64;
/** RFC 5321 path limit (256) minus the angle brackets. */
export const MAX_ADDRESS_OCTETS = 254;
/** Bound on the raw input, checked before any other work. */
const MAX_INPUT_LENGTH = 1024;

/**
 * Dot-atom local part (RFC 5322 §3.2.3): atoms of atext separated by single dots. As in RFC 6531
 * (SMTPUTF8), non-ASCII is allowed too, but only letters, marks and digits: no non-ASCII
 * punctuation, spaces, symbols or invisible format characters. Quoted local parts are refused.
 */
const ATEXT = "[\\p{L}\\p{M}\\p{N}!#$%&'*+\\-/=?^_`{|}~]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`, 'u');

/**
 * A mailbox address `local@domain`. The platform treats addresses case-insensitively, by Unicode
 * case folding: the local part is stored as its NFKC_Casefold (`caseFold`: compatibility forms
 * replaced, default-ignorable code points dropped, case folded fully, in NFC), so `ΑΣ`, `ασ` and
 * `ας` are one address, stored `ασ`, as are `STRASSE`, `Straße` and `strasse`. The domain is
 * stored in its ASCII (punycode) form. Two addresses are equal exactly when their stored forms are.
 */
export class EmailAddress {
  private constructor(
    readonly localPart: string,
    readonly domain: DomainName,
  ) {}

  static parse(input: string): EmailAddress {
    if (typeof input !== 'string') throw invalid('', `expected a string, got ${typeof input}`);
    if (input.length > MAX_INPUT_LENGTH) {
      throw invalid(input, `it is longer than ${MAX_ADDRESS_OCTETS} octets`);
    }
    if (!input.isWellFormed()) throw invalid(input, 'it contains an unpaired surrogate');
    const trimmed = input.trim();
    if (trimmed === '') throw invalid(input, 'it is empty');

    const at = trimmed.lastIndexOf('@');
    if (at < 0) throw invalid(input, 'it has no "@"');
    if (trimmed.indexOf('@') !== at) {
      throw invalid(input, 'it has more than one "@" (quoted local parts are not accepted)');
    }
    const rawLocal = trimmed.slice(0, at);
    const rawDomain = trimmed.slice(at + 1);

    if (rawLocal === '') throw invalid(input, 'the part before "@" is empty');
    if (rawLocal.startsWith('"')) throw invalid(input, 'quoted local parts are not accepted');
    if (!DOT_ATOM.test(rawLocal)) {
      throw invalid(
        input,
        'the part before "@" may hold only letters, digits and ! # $ % & \' * + - / = ? ^ _ ` { | } ~, ' +
          'with single dots between them (not at the start or end)',
      );
    }
    // NFKC, as IDNA does for the domain: full-width letters, ligatures and other compatibility forms
    // (ｂｏｘ, ﬁ, ſ) are the address of the plain letters they stand for, not a look-alike of it.
    // That and case folding can change the length and the characters, so check and measure afterwards.
    const localPart = caseFold(rawLocal);
    if (!DOT_ATOM.test(localPart)) {
      throw invalid(input, 'the part before "@" holds a character that stands for punctuation or symbols');
    }
    if (utf8Length(localPart) > MAX_LOCAL_PART_OCTETS) {
      throw invalid(input, `the part before "@" is longer than ${MAX_LOCAL_PART_OCTETS} octets`);
    }

    if (rawDomain === '') throw invalid(input, 'the part after "@" is empty');
    if (rawDomain.trim() !== rawDomain) throw invalid(input, 'it has spaces around the "@"');
    let domain: DomainName;
    try {
      domain = DomainName.parse(rawDomain);
    } catch (error) {
      if (error instanceof ValidationError) throw invalid(input, error.message, error);
      throw error;
    }

    if (utf8Length(localPart) + 1 + domain.ascii.length > MAX_ADDRESS_OCTETS) {
      throw invalid(input, `it is longer than ${MAX_ADDRESS_OCTETS} octets`);
    }
    return new EmailAddress(localPart, domain);
  }

  /** The stored form: `local@ascii-domain`. */
  get value(): string {
    return `${this.localPart}@${this.domain.ascii}`;
  }

  /** The display form: `local@unicode-domain`. */
  get unicode(): string {
    return `${this.localPart}@${this.domain.unicode}`;
  }

  belongsTo(domain: DomainName): boolean {
    return this.domain.equals(domain);
  }

  equals(other: EmailAddress): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }
}

function invalid(input: string, reason: string, cause?: unknown): ValidationError {
  return new ValidationError(
    'INVALID_EMAIL_ADDRESS',
    `${preview(input)} is not a valid email address: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/** A short, escaped rendering of untrusted input for an error message. */
function preview(input: string, max = 64): string {
  const cut = input.length > max ? `${input.slice(0, max).toWellFormed()}…` : input.toWellFormed();
  return JSON.stringify(cut);
}
