/**
 * `idn_to_unicode`, the database's punycode decoder behind the domain's generated `unicode_name`
 * (the order the studio lists domains in), agrees with the runtime's `domainToUnicode` on every
 * name the domain accepts, and leaves a label it cannot decode as it is rather than failing the
 * write of a row.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

async function decodeAll(names: string[]): Promise<string[]> {
  const rows = await db.sql<{ decoded: string }>(
    `select idn_to_unicode(name) as decoded from unnest($1::text[]) with ordinality as n(name, i) order by i`,
    [names],
  );
  return rows.map((r) => r.decoded);
}

// labels in one script each (IDNA refuses most mixtures), as people type them
const range = (min: number, max: number) => fc.integer({ min, max }).map((cp) => String.fromCodePoint(cp));
const ascii = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789');
const scripts = [
  fc.oneof(ascii, range(0xe0, 0xff), range(0x100, 0x17f)), // Latin
  range(0x430, 0x44f), // Cyrillic
  range(0x4e00, 0x9fff), // CJK
  range(0x5d0, 0x5ea), // Hebrew
  range(0x1f600, 0x1f64f), // emoji
];
const label = fc
  .oneof(...scripts.map((letters) => fc.array(letters, { minLength: 1, maxLength: 20 })))
  .map((cs) => cs.join(''));
const unicodeName = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => [...ls, 'example'].join('.'));

describe('idn_to_unicode', () => {
  it('decodes what the runtime decodes, for a few thousand generated names', async () => {
    const names = fc
      .sample(unicodeName, 3000)
      .map((name) => domainToASCII(name))
      .filter((ascii) => ascii !== '' && ascii.length <= 253);
    expect(names.filter((n) => n.includes('xn--')).length).toBeGreaterThan(1000);
    expect(await decodeAll(names)).toEqual(names.map((n) => domainToUnicode(n)));
  });

  it('decodes known names, and leaves labels it cannot decode as they are', async () => {
    const known = ['xn--bcher-kva.example', 'mail.xn--mnchen-3ya.de', 'xn--ls8h.la', 'plain.example', 'xn--abc-.org'];
    expect(await decodeAll(known)).toEqual(['bücher.example', 'mail.münchen.de', '💩.la', 'plain.example', 'abc.org']);
    const broken = ['xn--.com', `xn--${'z'.repeat(59)}.com`, 'xn--99999999.example'];
    expect(await decodeAll(broken)).toEqual(broken);
  });

  it('is the domain rows’ generated unicode_name', async () => {
    const rows = await db.sql<{ g: string }>(
      `select pg_get_expr(d.adbin, d.adrelid) as g
         from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
        where a.attname = 'unicode_name' and a.attrelid = 'domain'::regclass`,
    );
    expect(rows).toEqual([{ g: 'idn_to_unicode((name)::text)' }]);
  });
});
