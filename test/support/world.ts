/** Small builders for test worlds, through the application services like any caller. */
import { expect } from 'vitest';
import type { DomainLimits } from '../../src/domain/domain.js';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import { digestRows } from './digest.js';
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

/**
 * Expects `action` to fail with a domain error of `code`, and the database to be unchanged by it:
 * every row of every table (see digest.ts), so a refusal that still changed a column fails too.
 * Nothing else may write to this test file's database meanwhile (tests in a file run one by one).
 */
export async function expectRefused(
  db: TestDatabase,
  code: ErrorCode,
  action: () => Promise<unknown>,
): Promise<DomainError> {
  const before = await digestRows(db);
  const error = await action().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  expect(await digestRows(db), `${code}: the refused action changed rows`).toEqual(before);
  return error as DomainError;
}
