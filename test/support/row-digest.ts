import { expect } from 'vitest';
import type { DomainError, ErrorCode } from '../../src/domain/errors.js';
import type { TestDatabase } from './test-database.js';
import { expectRefused } from './world.js';

/** A digest of every row of every table: equal digests mean nothing at all was written. */
export async function rowDigest(db: TestDatabase): Promise<Record<string, string>> {
  const tables = ['user', 'domain', 'address', 'folder', 'email'];
  const select = tables
    .map((t) => `(select md5(coalesce(string_agg(md5(t::text), '' order by t.id), '')) from "${t}" t) as "${t}"`)
    .join(', ');
  const [row] = await db.sql<Record<string, string>>(`select ${select}`);
  return row!;
}

/** `expectRefused`, and every row of every table as it was: the refusal wrote nothing at all. */
export async function expectRefusedUnchanged(
  db: TestDatabase,
  code: ErrorCode,
  action: () => Promise<unknown>,
): Promise<DomainError> {
  const before = await rowDigest(db);
  const error = await expectRefused(db, code, action);
  expect(await rowDigest(db)).toEqual(before);
  return error;
}
