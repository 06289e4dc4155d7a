/** Creating and dropping the databases tests run in. */
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { ConnectionTarget } from '../../src/infrastructure/database/database-url.js';
import { toPgConfig } from '../../src/infrastructure/database/database-url.js';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { preflight } from '../../src/infrastructure/database/preflight.js';
import { grantApplicationRole } from '../../src/infrastructure/database/application-role.js';

export async function withAdminClient<T>(
  target: ConnectionTarget,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(toPgConfig(target));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(target: ConnectionTarget, name: string): Promise<void> {
  await withAdminClient(target, (c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
}

/** A fresh database with every migration applied, used as the template for per-file clones. */
export async function createTemplateDatabase(settings: DatabaseSettings, name: string): Promise<void> {
  await dropDatabase(settings.direct, name);
  await withAdminClient(settings.direct, (c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  await preflight({ ...settings.direct, database: name });
  const config = createOrmConfig(settings, 'schema', { database: name });
  const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
  try {
    await orm.migrator.up();
  } finally {
    await orm.close(true);
  }
  // the application services under test run as a least-privilege role, as in production
  const template = { ...settings.direct, database: name };
  await withAdminClient(template, (c) =>
    grantApplicationRole(c, { ...APPLICATION_ROLE, schema: settings.direct.schema, database: name }),
  );
}

/** The role the tests run the application as (created once per server, granted in the template). */
export const APPLICATION_ROLE = { role: 'aether_app_test', password: 'aether-app-test' };

export async function cloneDatabase(target: ConnectionTarget, template: string, name: string): Promise<void> {
  await withAdminClient(target, (c) =>
    c.query(`create database ${c.escapeIdentifier(name)} template ${c.escapeIdentifier(template)}`),
  );
}
