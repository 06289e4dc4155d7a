/**
 * The database's checks refuse the code points that the domain's `caseFold` changes. That set is
 * generated (`npm run db:case-fold-pattern`) into a committed file, which the mappings use and the
 * migration copied; this derives it again from `caseFold` and compares it with both, so the
 * database and the domain cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caseFold } from '../../src/domain/case-fold.js';
import { CASE_FOLD_CHANGES } from '../../src/infrastructure/persistence/case-fold-pattern.generated.js';
import { caseFoldChangesBracket, caseFoldPatternModule } from '../../src/infrastructure/persistence/case-fold-sql.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const derived = caseFoldChangesBracket();

describe('the case-fold pattern of the database checks', () => {
  it('is what the generator derives from caseFold today', () => {
    const file = new URL('../../src/infrastructure/persistence/case-fold-pattern.generated.ts', import.meta.url);
    expect(readFileSync(file, 'utf8')).toBe(caseFoldPatternModule(derived));
    expect(CASE_FOLD_CHANGES).toBe(derived);
  });

  it('is the one in both checks of the migrated database', async () => {
    const checks = await db.sql<{ name: string; definition: string }>(
      `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
        where conname in ('address_normalised', 'user_email_normalised') order by conname`,
    );
    expect(checks.map((c) => c.name)).toEqual(['address_normalised', 'user_email_normalised']);
    for (const { definition } of checks) {
      expect(definition).toMatch(/normalize\(\w+, NFKC\)/i);
      expect(definition.match(/!~ '(\[[^']*\])'/)?.[1]).toBe(derived);
    }
  });

  it('matches in PostgreSQL exactly the code points caseFold changes (every code point but NUL)', async () => {
    const [row] = await db.sql<{ ranges: string }>(
      `select string_agg(case when lo = hi then lo::text else lo || '-' || hi end, ',' order by lo) as ranges
         from (select min(cp) as lo, max(cp) as hi
                 from (select cp, cp - row_number() over (order by cp) as run
                         from generate_series(1, 1114111) as cp
                        where (cp < 55296 or cp > 57343) and chr(cp) ~ $1) as matched
                group by run) as runs`,
      [derived],
    );
    const expected: string[] = [];
    let start: number | undefined;
    for (let cp = 1; cp <= 0x110000; cp += 1) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue; // not text; runs go on across them, as in the SQL
      const char = cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined; // one past the end closes a run
      const changes = char !== undefined && caseFold(char) !== char;
      if (changes && start === undefined) start = cp;
      if (!changes && start !== undefined) {
        expected.push(start === cp - 1 ? `${start}` : `${start}-${cp - 1}`);
        start = undefined;
      }
    }
    expect(row!.ranges).toBe(expected.join(','));
  });
});
