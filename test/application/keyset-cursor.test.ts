/** The one keyset cursor codec: folder pages, the studio's lists and the benchmark all use it. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isDomainError } from '../../src/domain/errors.js';
import {
  decodeCursor,
  decodeEmailCursor,
  encodeCursor,
  encodeEmailCursor,
} from '../../src/application/keyset-cursor.js';

const ID = '0192f6c4-5b7e-7cc1-8a3e-1f2d3c4b5a69';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

function codeOf(decode: () => unknown): string | undefined {
  try {
    decode();
  } catch (error) {
    if (isDomainError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('a keyset cursor', () => {
  it('round-trips a key and an id, a key holding the separator included', () => {
    for (const key of ['ada@example.net', '', 'a|b||c', 'ünïcode 📬', '2026-01-01T00:00:00.000Z']) {
      expect(decodeCursor(encodeCursor({ key, id: ID }))).toEqual({ key, id: ID });
    }
    const at = new Date('2026-12-01T23:24:00.123Z');
    expect(decodeEmailCursor(encodeEmailCursor({ receivedAt: at, id: ID }))).toEqual({ receivedAt: at, id: ID });
    // the format the folder page has always handed out, so cursors held by clients stay valid
    expect(encodeEmailCursor({ receivedAt: at, id: ID })).toBe(b64(`${at.toISOString()}|${ID}`));
  });

  it('decode(encode(x)) = x for any text key and any UUID', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.uuid(), (key, id) => {
        expect(decodeCursor(encodeCursor({ key, id }))).toEqual({ key, id });
      }),
      { numRuns: 500 },
    );
    const instant = fc.date({
      min: new Date('0001-01-01T00:00:00.000Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(instant, fc.uuid(), (receivedAt, id) => {
        expect(decodeEmailCursor(encodeEmailCursor({ receivedAt, id }))).toEqual({ receivedAt, id });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses tampered cursors with INVALID_CURSOR', () => {
    const good = encodeEmailCursor({ receivedAt: new Date(), id: ID });
    const tampered = [
      'garbage!',
      `${good}=`, // padding encodeCursor never writes
      `${good}.`,
      Buffer.from([0xff, 0xfe, 0x7c, 0x41]).toString('base64url'), // not UTF-8
      b64(ID), // no separator
      b64(`${new Date().toISOString()}|`), // no id
      '',
      42,
      {},
      null,
    ];
    for (const cursor of tampered) {
      expect(
        codeOf(() => decodeCursor(cursor)),
        JSON.stringify(cursor),
      ).toBe('INVALID_CURSOR');
      expect(
        codeOf(() => decodeEmailCursor(cursor)),
        JSON.stringify(cursor),
      ).toBe('INVALID_CURSOR');
    }
    for (const key of ['yesterday', '0000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', `x|${ID}`]) {
      expect(
        codeOf(() => decodeEmailCursor(encodeCursor({ key, id: ID }))),
        key,
      ).toBe('INVALID_CURSOR');
    }
    // a bad key is refused before the id is looked at
    expect(codeOf(() => decodeEmailCursor(b64('yesterday|x')))).toBe('INVALID_CURSOR');
  });

  it('an id that is not a UUID names nothing: NOT_FOUND', () => {
    expect(codeOf(() => decodeCursor(b64(`ada@example.net|' or '1'='1`)))).toBe('NOT_FOUND');
    expect(codeOf(() => decodeEmailCursor(b64(`${new Date().toISOString()}|%`)))).toBe('NOT_FOUND');
  });
});
