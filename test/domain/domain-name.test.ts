import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DomainName } from '../../src/domain/domain-name.js';
import { ValidationError } from '../../src/domain/errors.js';

/** Parses, or checks the refusal is exactly a ValidationError with the domain-name code. */
function parseOrRefusal(input: string): DomainName | undefined {
  try {
    return DomainName.parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('INVALID_DOMAIN_NAME');
    return undefined;
  }
}

function expectRefused(input: string, message?: RegExp): void {
  let caught: unknown;
  try {
    DomainName.parse(input);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${JSON.stringify(input.slice(0, 80))} to be refused`).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).code).toBe('INVALID_DOMAIN_NAME');
  if (message) expect((caught as ValidationError).message).toMatch(message);
}

const label = (n: number, c = 'a') => c.repeat(n);
/** A name of exactly `n` octets made of 63-octet labels. */
function nameOfLength(n: number): string {
  const labels: string[] = [];
  let left = n;
  while (left > 64) {
    labels.push(label(63, 'b'));
    left -= 64;
  }
  labels.push(label(left, 'c'));
  return labels.join('.');
}

describe('DomainName.parse: examples', () => {
  it('accepts a plain name and keeps it as is', () => {
    const d = DomainName.parse('example.com');
    expect(d.ascii).toBe('example.com');
    expect(d.unicode).toBe('example.com');
    expect(d.toString()).toBe('example.com');
  });

  it('lower-cases, trims and strips one trailing dot', () => {
    expect(DomainName.parse('  Mail.EXAMPLE.Com.  ').ascii).toBe('mail.example.com');
    expectRefused('example.com..');
  });

  it('converts IDN to punycode and back', () => {
    const d = DomainName.parse('Bücher.example');
    expect(d.ascii).toBe('xn--bcher-kva.example');
    expect(d.unicode).toBe('bücher.example');
    const e = DomainName.parse('xn--bcher-kva.example');
    expect(e.unicode).toBe('bücher.example');
    expect(e.equals(d)).toBe(true);
  });

  it('accepts single-script and CJK names', () => {
    expect(DomainName.parse('пример.рф').ascii).toBe('xn--e1afmkfd.xn--p1ai');
    expect(DomainName.parse('例え.テスト').ascii).toBe('xn--r8jz45g.xn--zckzah');
    expect(DomainName.parse('abc日本語.jp').unicode).toBe('abc日本語.jp'); // Latin + Han
    expect(DomainName.parse('한국어漢字.kr').unicode).toBe('한국어漢字.kr'); // Hangul + Han
  });

  it('refuses mixed-script labels (homographs), in Unicode and in punycode', () => {
    expectRefused('pаypal.com', /mixes scripts \(Latin, Cyrillic\)/); // Cyrillic а
    expectRefused('xn--pypal-4ve.com', /mixes scripts/);
    expectRefused('αpple.com', /mixes scripts/); // Greek α
  });

  it('accepts labels of 63 octets, refuses 64', () => {
    expect(DomainName.parse(`${label(63)}.com`).ascii).toBe(`${label(63)}.com`);
    expectRefused(`${label(64)}.com`, /longer than 63 octets/);
  });

  it('accepts names of 253 octets, refuses 254', () => {
    const max = nameOfLength(253);
    expect(max).toHaveLength(253);
    expect(DomainName.parse(max).ascii).toBe(max);
    expect(DomainName.parse(`${max}.`).ascii).toBe(max); // the root dot does not count
    expect(nameOfLength(254)).toHaveLength(254);
    expectRefused(nameOfLength(254), /longer than 253 octets/);
  });

  it('measures the limits on the punycode form', () => {
    // 'ü' + 57 × 'a' is 58 characters but 'xn--' + 57 a + '-' + 3 = 65 octets in ASCII.
    expectRefused(`ü${label(57)}.com`, /longer than 63 octets/);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['com', /two labels/],
    ['localhost', /two labels/],
    ['.com', /empty label/],
    ['a..com', /empty label/],
    ['-a.com', /start or end with "-"/],
    ['a-.com', /start or end with "-"/],
    ['a_b.com', /only letters/],
    ['a b.com', /only letters/],
    ['a\tb.com', /only letters/],
    ['ex%41mple.com', /only letters/],
    ['a/b.com', /only letters/],
    ['a:80.com', /only letters/],
    ['user@example.com', /only letters/],
    ['[::1]', /only letters/],
    ['1.2.3.4', /all digits/],
    ['example.123', /./],
    ['0x7f.1', /all digits/],
    ['a\u0000.com', /only letters/],
    ['\ud800.com', /unpaired surrogate/],
    ['a\u200d.com', /./], // zero-width joiner
    ['a\u202e.com', /./], // right-to-left override
    ['xn--zz.com', /punycode/],
    ['xn--a.com', /punycode/],
    ['xn--wca.com', /punycode/], // punycode of upper-case 'Ü', not a valid IDN label
    ['xn--a-ugn.com', /punycode/], // punycode of 'a' + zero-width joiner
  ])('refuses %j', (input, message) => {
    expectRefused(input, message);
  });

  // speed is the benchmark's business; this checks the length guard comes first (a short message)
  it('refuses huge input by its length, without echoing all of it', () => {
    const huge = `${'a'.repeat(5_000_000)}.com`;
    let caught: unknown;
    try {
      DomainName.parse(huge);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message.length).toBeLessThan(200);
  });
});

describe('DomainName.parse: properties', () => {
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const domainish = fc.constantFrom('a', 'Z', '0', '9', '-', '.', 'xn--', 'ü', 'а', 'α', '日', ' ', '_', '%', '\u0000');
  // Labels of a few scripts, so that a good share is accepted (IDN, mixed scripts, bad hyphens).
  const labelChar = fc.constantFrom('a', 'Z', '0', '-', 'ü', 'Ü', 'ß', 'а', 'я', 'α', '日', 'ア', '한', '\u0301');
  const nearlyValidDomain = fc
    .tuple(
      fc.array(fc.string({ unit: labelChar, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
      fc.constantFrom('com', 'рф', '.', ''),
    )
    .map(([labels, tld]) => [...labels, tld].join('.'));
  const arbitraryInputs = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'binary-ascii' }),
    fc.string({ unit: fc.oneof(loneSurrogate, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) }),
    fc.string({ unit: domainish, maxLength: 40 }),
    fc.string({ unit: fc.oneof(domainish, loneSurrogate) }),
    fc.domain().map((d) => d.toUpperCase()),
    nearlyValidDomain,
  );

  it('either returns a DomainName or throws INVALID_DOMAIN_NAME, for any string', () => {
    fc.assert(
      fc.property(arbitraryInputs, (input) => {
        parseOrRefusal(input);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on the ASCII form and round-trips the Unicode form', () => {
    fc.assert(
      fc.property(arbitraryInputs, (input) => {
        const d = parseOrRefusal(input);
        if (d === undefined) return;
        expect(DomainName.parse(d.ascii).ascii).toBe(d.ascii);
        expect(DomainName.parse(d.unicode).ascii).toBe(d.ascii);
        expect(d.ascii).toMatch(/^[a-z0-9.-]{4,253}$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every fc.domain() that fits in 253 octets (fc.domain allows up to 255)', () => {
    fc.assert(
      fc.property(
        fc.domain().filter((d) => d.length <= 253),
        (input) => {
          expect(DomainName.parse(input).ascii).toBe(input);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses fc.domain() values longer than 253 octets', () => {
    fc.assert(
      fc.property(
        fc.domain({ size: 'xlarge' }).filter((d) => d.length > 253),
        (input) => {
          expectRefused(input, /longer than 253 octets/);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('DomainName.parse: the cache of parsed names', () => {
  it('answers a repeated input the same way, and refuses a bad one every time', () => {
    const first = DomainName.parse('Bücher.Example');
    const again = DomainName.parse('Bücher.Example');
    expect(again.ascii).toBe('xn--bcher-kva.example');
    expect(again.unicode).toBe(first.unicode);
    for (let i = 0; i < 3; i++) expectRefused('bücher', /at least two labels/);
  });

  it('answers correctly after more names than it holds', () => {
    for (let i = 0; i < 12_000; i++) expect(DomainName.parse(`n${i}.example`).ascii).toBe(`n${i}.example`);
    expect(DomainName.parse('n0.example').unicode).toBe('n0.example');
  });
});
