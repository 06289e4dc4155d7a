import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { MAX_QUOTA_BYTES, formatBytes, parseQuotaBytes, utf8Length } from '../../src/domain/byte-size.js';
import { ValidationError } from '../../src/domain/errors.js';

function expectInvalidQuota(n: number): void {
  let caught: unknown;
  try {
    parseQuotaBytes(n);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${n} to be refused`).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).code).toBe('INVALID_QUOTA');
}

describe('parseQuotaBytes', () => {
  it('MAX_QUOTA_BYTES is 1 TiB', () => {
    expect(MAX_QUOTA_BYTES).toBe(1_099_511_627_776);
  });

  it('accepts 0 (unlimited) up to and including 1 TiB', () => {
    expect(parseQuotaBytes(0)).toBe(0);
    expect(Object.is(parseQuotaBytes(-0), 0)).toBe(true);
    expect(parseQuotaBytes(1)).toBe(1);
    expect(parseQuotaBytes(MAX_QUOTA_BYTES)).toBe(MAX_QUOTA_BYTES);
  });

  it.each([MAX_QUOTA_BYTES + 1, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2])(
    'refuses %d',
    (n) => expectInvalidQuota(n),
  );

  it('names what is being checked', () => {
    expect(() => parseQuotaBytes(-1, 'message size limit')).toThrow(/message size limit/);
  });

  it('accepts exactly the whole numbers in range, for any double', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: -10, max: MAX_QUOTA_BYTES + 10 })), (n) => {
        const ok = Number.isInteger(n) && n >= 0 && n <= MAX_QUOTA_BYTES;
        if (ok) expect(parseQuotaBytes(n)).toBe(n === 0 ? 0 : n);
        else expectInvalidQuota(n);
      }),
    );
  });
});

describe('utf8Length', () => {
  it('counts UTF-8 octets', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('a')).toBe(1);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('日')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1.5 * 1024 ** 2, '1.5 MiB'],
    [1024 ** 2 - 1, '1 MiB'],
    [10 * 1024 ** 3, '10 GiB'],
    [MAX_QUOTA_BYTES, '1 TiB'],
    [-2048, '-2 KiB'],
  ])('formats %d as %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
