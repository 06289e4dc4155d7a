import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DomainName } from '../../src/domain/domain-name.js';
import { EmailAddress } from '../../src/domain/email-address.js';
import { ValidationError } from '../../src/domain/errors.js';
import { CASE_TRICKY_CHARACTERS } from '../support/case-tricky.js';

function parseOrRefusal(input: string): EmailAddress | undefined {
  try {
    return EmailAddress.parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('INVALID_EMAIL_ADDRESS');
    return undefined;
  }
}

function expectRefused(input: string, message?: RegExp): void {
  let caught: unknown;
  try {
    EmailAddress.parse(input);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${JSON.stringify(input.slice(0, 80))} to be refused`).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).code).toBe('INVALID_EMAIL_ADDRESS');
  if (message) expect((caught as ValidationError).message).toMatch(message);
}

/** 63 + 1 + 63 + 1 + 61 = 189 octets; with a 64-octet local part and '@': 254. */
const domain189 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(61)}`;

describe('EmailAddress.parse: examples', () => {
  it('normalises to lower case, local part included', () => {
    const a = EmailAddress.parse('  Alice.Smith@Example.COM ');
    expect(a.localPart).toBe('alice.smith');
    expect(a.domain.ascii).toBe('example.com');
    expect(a.value).toBe('alice.smith@example.com');
    expect(a.toString()).toBe('alice.smith@example.com');
    expect(a.equals(EmailAddress.parse('ALICE.SMITH@example.com'))).toBe(true);
  });

  it('stores the domain in ASCII and shows it in Unicode', () => {
    const a = EmailAddress.parse('user+tag@Bücher.example');
    expect(a.value).toBe('user+tag@xn--bcher-kva.example');
    expect(a.unicode).toBe('user+tag@bücher.example');
    expect(EmailAddress.parse('user+tag@xn--bcher-kva.example').equals(a)).toBe(true);
  });

  it('strips the trailing dot of the domain', () => {
    expect(EmailAddress.parse('a@example.com.').value).toBe('a@example.com');
  });

  it('accepts every atext character', () => {
    const local = "!#$%&'*+-/=?^_`{|}~";
    expect(EmailAddress.parse(`${local}@example.com`).localPart).toBe(local);
    expect(EmailAddress.parse("o'brien.x@example.io").localPart).toBe("o'brien.x");
  });

  it('accepts non-ASCII letters in the local part, NFC-normalised and lower-cased', () => {
    expect(EmailAddress.parse('JÖRG@bücher.de').value).toBe('jörg@xn--bcher-kva.de');
    expect(EmailAddress.parse('e\u0301@x.com').localPart).toBe('\u00e9');
  });

  it('compares local parts by Unicode case folding: ΑΣ, ασ and ας are one address, stored ασ', () => {
    const forms = ['ΑΣ@d.example', 'ασ@d.example', 'ας@d.example', 'Ασ@d.example', 'αΣ@d.example'];
    expect(forms.map((f) => EmailAddress.parse(f).value)).toEqual(forms.map(() => 'ασ@d.example'));
    expect(EmailAddress.parse('Straße@x.test').value).toBe('strasse@x.test');
    expect(EmailAddress.parse('STRASSE@x.test').equals(EmailAddress.parse('straße@x.test'))).toBe(true);
    expect(EmailAddress.parse('ẞ@x.test').value).toBe('ss@x.test');
    expect(EmailAddress.parse('ǅ@x.test').value).toBe('dž@x.test');
    // CaseFolding.txt keeps the Turkic dotless ı apart from i
    expect(EmailAddress.parse('kız@x.test').value).toBe('kız@x.test');
  });

  it('belongsTo compares the domain', () => {
    const a = EmailAddress.parse('a@bücher.example');
    expect(a.belongsTo(DomainName.parse('xn--bcher-kva.example'))).toBe(true);
    expect(a.belongsTo(DomainName.parse('sub.bücher.example'))).toBe(false);
  });

  it('accepts a local part of 64 octets, refuses 65 (counted in UTF-8)', () => {
    expect(EmailAddress.parse(`${'a'.repeat(64)}@example.com`).localPart).toHaveLength(64);
    expectRefused(`${'a'.repeat(65)}@example.com`, /longer than 64 octets/);
    expect(EmailAddress.parse(`${'é'.repeat(32)}@example.com`).localPart).toHaveLength(32);
    expectRefused(`${'é'.repeat(32)}a@example.com`, /longer than 64 octets/);
  });

  it('accepts an address of 254 octets, refuses 255', () => {
    const max = `${'a'.repeat(64)}@${domain189}`;
    expect(max).toHaveLength(254);
    expect(EmailAddress.parse(max).value).toBe(max);
    const over = `${'a'.repeat(64)}@${domain189}c`;
    expect(over).toHaveLength(255);
    expectRefused(over, /longer than 254 octets/);
  });

  it('measures the address on the ASCII form of the domain', () => {
    // Four labels 'ü' + 40 × 'c': 167 characters in Unicode, but each label takes ~7 more octets
    // in punycode ('xn--' + 40 c + '-' + digits).
    const label = `ü${'c'.repeat(40)}`;
    const unicodeDomain = [label, label, label, label].join('.');
    const address = `${'a'.repeat(64)}@${unicodeDomain}`;
    expect(Buffer.byteLength(address)).toBeLessThanOrEqual(254);
    expect(64 + 1 + DomainName.parse(unicodeDomain).ascii.length).toBeGreaterThan(254);
    expectRefused(address, /longer than 254 octets/);
  });

  it('reports a bad domain as INVALID_EMAIL_ADDRESS, with the reason', () => {
    expectRefused('paypal@pаypal.com', /mixes scripts/);
    expectRefused('a@localhost', /two labels/);
    expectRefused('a@1.2.3.4', /all digits/);
  });

  it.each([
    ['', /empty/],
    ['plainaddress', /no "@"/],
    ['@example.com', /before "@" is empty/],
    ['a@', /after "@" is empty/],
    ['a@@example.com', /more than one "@"/],
    ['a@b@example.com', /more than one "@"/],
    ['"a b"@example.com', /./],
    ['"a"@example.com', /quoted/],
    ['.a@example.com', /single dots/],
    ['a.@example.com', /single dots/],
    ['a..b@example.com', /single dots/],
    ['a b@example.com', /letters, digits/],
    ['a\u0000b@example.com', /letters, digits/],
    ['a\u0001@example.com', /letters, digits/],
    ['a\u00a0b@example.com', /letters, digits/],
    ['a\u200b@example.com', /letters, digits/], // zero-width space
    ['a\u202e@example.com', /letters, digits/], // right-to-left override
    ['(comment)a@example.com', /letters, digits/],
    ['a,b@example.com', /letters, digits/],
    ['a\ud800@example.com', /unpaired surrogate/],
    ['a@ example.com', /spaces/],
    ['a @example.com', /letters, digits/],
    ['a@[192.0.2.1]', /domain name/],
    ['a@-example.com', /domain name/],
  ])('refuses %j', (input, message) => {
    expectRefused(input, message);
  });

  it('refuses huge input by its length', () => {
    expectRefused(`${'a'.repeat(5_000_000)}@example.com`, /longer than 254 octets/);
  });
});

describe('EmailAddress.parse: properties', () => {
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const addressish = fc.constantFrom(
    'a',
    'Z',
    '0',
    '.',
    '-',
    '+',
    '@',
    '"',
    ' ',
    'ü',
    'İ',
    'ß',
    'а',
    '\u0000',
    'x.com',
  );
  // Local parts with case-changing and decomposed letters, at domains of a few scripts.
  const localChar = fc.constantFrom('a', 'Z', '.', '+', 'ü', 'İ', 'ß', 'ǅ', 'e\u0301', 'Σ', '"', ' ', '@');
  const domainChar = fc.constantFrom('a', 'Z', '0', '-', 'ü', 'а', '日');
  const nearlyValidAddress = fc
    .tuple(
      fc.string({ unit: localChar, minLength: 1, maxLength: 10 }),
      fc.string({ unit: domainChar, minLength: 1, maxLength: 8 }),
    )
    .map(([local, label]) => `${local}@${label}.com`);
  const arbitraryInputs = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'binary-ascii' }),
    fc.string({ unit: fc.oneof(loneSurrogate, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }),
    fc.string({ unit: addressish, maxLength: 30 }),
    fc.tuple(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.domain()).map(([l, d]) => `${l}@${d}`),
    fc.emailAddress().map((e) => e.toUpperCase()),
    nearlyValidAddress,
  );

  it('either returns an EmailAddress or throws INVALID_EMAIL_ADDRESS, for any string', () => {
    fc.assert(
      fc.property(arbitraryInputs, (input) => {
        parseOrRefusal(input);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on the stored form and round-trips the display form', () => {
    fc.assert(
      fc.property(arbitraryInputs, (input) => {
        const a = parseOrRefusal(input);
        if (a === undefined) return;
        expect(EmailAddress.parse(a.value).value).toBe(a.value);
        expect(EmailAddress.parse(a.unicode).value).toBe(a.value);
        expect(Buffer.byteLength(a.value)).toBeLessThanOrEqual(254);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every fc.emailAddress() within the RFC 5321 limits', () => {
    // fc.emailAddress() only makes dot-atom local parts of at most 64 characters, but its domain
    // may reach 255 octets and the whole address exceed 254: those are rightly refused.
    fc.assert(
      fc.property(
        fc.emailAddress().filter((e) => e.length <= 254 && e.length - e.indexOf('@') - 1 <= 253),
        (input) => {
          expect(EmailAddress.parse(input).value).toBe(input);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('stored form and case variants of a local part parse to one value (ı aside: it capitalises to I)', () => {
    const foldingChar = fc.constantFrom(...CASE_TRICKY_CHARACTERS, '.');
    const local = fc.string({ unit: foldingChar, minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(local, fc.constantFrom('d.example', 'Bücher.example'), (l, d) => {
        const a = parseOrRefusal(`${l}@${d}`);
        if (a === undefined) return;
        expect(EmailAddress.parse(a.value).value).toBe(a.value);
        expect(EmailAddress.parse(`${l.toUpperCase()}@${d}`).value).toBe(a.value);
        expect(EmailAddress.parse(`${l.toLowerCase()}@${d}`).value).toBe(a.value);
      }),
      { numRuns: 2000 },
    );
  });

  it('upper-case variants of valid addresses are equal to the original', () => {
    fc.assert(
      fc.property(
        fc.emailAddress().filter((e) => e.length <= 254 && e.length - e.indexOf('@') - 1 <= 253),
        (input) => {
          expect(EmailAddress.parse(input.toUpperCase()).equals(EmailAddress.parse(input))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
