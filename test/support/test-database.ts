/**
 * A database of this test file's own, cloned from the migrated template, with the application
 * wired to it. Dropped when the file is done.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Aether, openAether } from '../../src/infrastructure/aether.js';
import { createDatabase, dropDatabase, plainPool } from '../../src/infrastructure/database/admin-client.js';
import { type ConnectionTarget, parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import { APPLICATION_ROLE } from './databases.js';
import { FakeDns } from './fake-dns.js';

export interface TestDatabase {
  aether: Aether;
  settings: DatabaseSettings;
  dns: FakeDns;
  /** SQL statements the application sent since the last `queries.length = 0`. */
  queries: string[];
  /** Runs SQL straight against this file's database (to inspect what was really written). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export function testSettings(database: string): DatabaseSettings {
  const { directUrl, poolerUrl } = inject('aetherDatabase');
  const direct = { ...parseDatabaseUrl(directUrl), database };
  // the application runs as the least-privilege role, through the pooler and replicas when configured
  const asApplication = <T extends ConnectionTarget>(target: T): T => ({
    ...target,
    database,
    schema: direct.schema,
    user: APPLICATION_ROLE.role,
    password: APPLICATION_ROLE.password,
  });
  const application = asApplication(poolerUrl ? parseDatabaseUrl(poolerUrl, 'DATABASE_URL_POOLER') : direct);
  const replicas = (process.env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .filter((u) => u.trim() !== '')
    .map((u) => asApplication(parseDatabaseUrl(u.trim(), 'DATABASE_REPLICA_URLS')));
  return { direct, application, replicas, embedded: false, poolMax: 10, statementTimeoutMs: 30_000 };
}

/** A fast hasher for tests that do not test hashing (argon2id at OWASP cost is slow by design). */
export const fastHasher = new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

export function useTestDatabase(
  options: {
    hasher?: Argon2PasswordHasher;
    poolMax?: number;
    statementTimeoutMs?: number;
    rowLevelSecurity?: boolean;
  } = {},
): TestDatabase {
  const { template } = inject('aetherDatabase');
  const name = `aether_test_${randomBytes(6).toString('hex')}`;
  const state = {} as TestDatabase;
  const settings = {
    ...testSettings(name),
    ...(options.poolMax ? { poolMax: options.poolMax } : {}),
    ...(options.statementTimeoutMs ? { statementTimeoutMs: options.statementTimeoutMs } : {}),
  };
  const admin = parseDatabaseUrl(inject('aetherDatabase').directUrl);
  beforeAll(async () => {
    await createDatabase(admin, name, { template });
    const dns = new FakeDns();
    const queries: string[] = [];
    const aether = await openAether({
      settings,
      resolveTxt: dns.resolveTxt,
      passwordHasher: options.hasher ?? fastHasher,
      rowLevelSecurity: options.rowLevelSecurity ?? false,
      debug: true,
      logger: (line) => {
        if (line.startsWith('[query]')) queries.push(line.slice('[query] '.length));
      },
    });
    // a connection of its own, outside the ORM, with the schema on its search path
    const inspector = plainPool(settings.direct, 2);
    Object.assign(state, {
      aether,
      settings,
      dns,
      queries,
      inspector,
      sql: async (text: string, params: unknown[] = []) => (await inspector.query(text, params)).rows,
    });
  });
  afterAll(async () => {
    await state.aether?.close();
    await (state as unknown as { inspector?: ReturnType<typeof plainPool> }).inspector?.end();
    await dropDatabase(admin, name);
  });
  return state;
}
