/** Small builders for test worlds, through the application services like any caller. */
import { expect } from 'vitest';
import type { DomainLimits } from '../../src/domain/domain.js';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import type { TestDatabase } from './test-database.js';

let counter = 0;
const unique = () => `${process.pid.toString(36)}${(counter++).toString(36)}`;

export const PASSWORD = 'correct horse battery staple';

export async function registerUser(db: TestDatabase, email = `user-${unique()}@people.test`) {
  return db.aether.users.register({ email, password: PASSWORD, name: null });
}

/** A user owning a verified domain (the TXT record published on the fake DNS first). */
export async function ownerWithDomain(
  db: TestDatabase,
  options: { name?: string; verified?: boolean; limits?: Partial<DomainLimits> } = {},
) {
  const owner = await registerUser(db);
  const name = options.name ?? `d${unique()}.example`;
  let domain = await db.aether.domains.add(owner.id, { name, ...(options.limits ? { limits: options.limits } : {}) });
  if (options.verified !== false) {
    db.dns.publishTxt(domain.name, domain.verificationRecord.value);
    domain = await db.aether.domains.verify(owner.id, domain.id);
  }
  return { owner, domain };
}

export function message(overrides: Partial<{ subject: string; body: string; from: string; to: string[] }> = {}) {
  return {
    from: 'sender@outside.test',
    to: ['someone@outside.test'],
    subject: 'Hello',
    body: 'Hi there',
    ...overrides,
  };
}

/** Row counts of every table, to show that a refused action wrote nothing. */
export async function rowCounts(db: TestDatabase): Promise<Record<string, number>> {
  const [row] = await db.sql<Record<string, number>>(
    `select (select count(*)::int from "user") as users, (select count(*)::int from domain) as domains,
            (select count(*)::int from address) as addresses, (select count(*)::int from folder) as folders,
            (select count(*)::int from email) as emails,
            (select coalesce(sum(used_bytes), 0)::bigint::text from address) as used_bytes`,
  );
  return row!;
}

/** Expects `action` to fail with a domain error of `code`, and the database to be unchanged by it. */
export async function expectRefused(
  db: TestDatabase,
  code: ErrorCode,
  action: () => Promise<unknown>,
): Promise<DomainError> {
  const before = await rowCounts(db);
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  expect(await rowCounts(db)).toEqual(before);
  return error as DomainError;
}
