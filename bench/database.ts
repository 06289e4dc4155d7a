/** The benchmark's own databases: dropped, recreated and migrated at the start, so the dev database is untouched. */
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { ConnectionTarget } from '../src/infrastructure/database/database-url.js';
import { toPgConfig } from '../src/infrastructure/database/database-url.js';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { createOrmConfig } from '../src/infrastructure/database/orm-config.js';

async function admin<T>(target: ConnectionTarget, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(toPgConfig(target));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(target: ConnectionTarget, name: string): Promise<void> {
  await admin(target, (c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
}

/** Settings that point every connection (the owner's, never a pooler or replica) at `database`. */
export function settingsFor(settings: DatabaseSettings, database: string): DatabaseSettings {
  const target = { ...settings.direct, database };
  return { ...settings, direct: target, application: target, replicas: [], embedded: false };
}

/** Drops `name` if it exists, creates it and applies every migration. */
export async function createMigratedDatabase(settings: DatabaseSettings, name: string): Promise<DatabaseSettings> {
  await dropDatabase(settings.direct, name);
  await admin(settings.direct, (c) => c.query(`create database ${c.escapeIdentifier(name)}`));
  const config = createOrmConfig(settings, 'schema', { database: name });
  const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
  try {
    await orm.migrator.up();
  } finally {
    await orm.close(true);
  }
  return settingsFor(settings, name);
}

/** A plain `pg` pool on the database, the schema on its search path: what the baseline uses. */
export function baselinePool(target: ConnectionTarget, max = 10): pg.Pool {
  return new pg.Pool({
    ...toPgConfig(target),
    max,
    options: `-c search_path=${target.schema}`,
  });
}
