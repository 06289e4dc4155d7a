/** A database of this test file's own with nothing in it (no migrations), for migration tests. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDatabase, dropDatabase, plainPool } from '../../src/infrastructure/database/admin-client.js';
import { parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { preflight } from '../../src/infrastructure/database/preflight.js';
import { testSettings } from './test-database.js';

export interface EmptyDatabase {
  settings: DatabaseSettings;
  /** DATABASE_URL for child processes (the CLI). */
  url: string;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
}

export function useEmptyDatabase(): EmptyDatabase {
  const name = `aether_empty_${randomBytes(6).toString('hex')}`;
  const admin = parseDatabaseUrl(inject('aetherDatabase').directUrl);
  const settings = testSettings(name);
  const state = { settings } as EmptyDatabase & { pool?: ReturnType<typeof plainPool> };
  beforeAll(async () => {
    await createDatabase(admin, name);
    await preflight(settings.direct);
    const t = settings.direct;
    state.url = `postgresql://${encodeURIComponent(t.user)}:${encodeURIComponent(t.password)}@${t.host}:${t.port}/${name}${t.schema === 'public' ? '' : `?schema=${t.schema}`}`;
    state.pool = plainPool(settings.direct, 2);
    state.sql = async (text, params = []) => (await state.pool!.query(text, params)).rows;
  });
  afterAll(async () => {
    await state.pool?.end();
    await dropDatabase(admin, name);
  });
  return state;
}
