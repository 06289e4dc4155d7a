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

/** Runs `work` with the ORM opened for schema work on `name`, the migrator quiet. */
async function withSchemaOrm<T>(
  settings: DatabaseSettings,
  name: string,
  work: (orm: MikroORM) => Promise<T>,
): Promise<T> {
  const config = createOrmConfig(settings, 'schema', { database: name });
  const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
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
  await withSchemaOrm(settings, name, (orm) => orm.migrator.up());
  return settingsFor(settings, name);
}

/** Drops `name` if it exists and creates it as a copy of `template`, which must have no connections open. */
export async function copyDatabase(
  settings: DatabaseSettings,
  template: string,
  name: string,
): Promise<DatabaseSettings> {
  await dropDatabase(settings.direct, name);
  await admin(settings.direct, (c) =>
    c.query(`create database ${c.escapeIdentifier(name)} template ${c.escapeIdentifier(template)}`),
  );
  return settingsFor(settings, name);
}

/** Reverts one applied migration, and only that one, through the project's migrator. */
export async function revertMigration(settings: DatabaseSettings, migration: string): Promise<void> {
  const database = settings.direct.database;
  const reverted = await withSchemaOrm(settings, database, (orm) => orm.migrator.down({ migrations: [migration] }));
  if (reverted.length !== 1) throw new Error(`${migration} is not applied in ${database}, so it cannot be reverted`);
}

/** A plain `pg` pool on the database, the schema on its search path: what the baseline uses. */
export function baselinePool(target: ConnectionTarget, max = 10): pg.Pool {
  return new pg.Pool({
    ...toPgConfig(target),
    max,
    options: `-c search_path=${target.schema}`,
  });
}
