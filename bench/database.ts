/** The benchmark's own databases: dropped, recreated and migrated at the start, so the dev database is untouched. */
import { createDatabase, dropDatabase } from '../src/infrastructure/database/admin-client.js';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { withSchemaOrm } from '../src/infrastructure/database/schema-orm.js';

/** Settings that point every connection (the owner's, never a pooler or replica) at `database`. */
export function settingsFor(settings: DatabaseSettings, database: string): DatabaseSettings {
  const target = { ...settings.direct, database };
  return { ...settings, direct: target, application: target, replicas: [], embedded: false };
}

/** Drops `name` if it exists, creates it and applies every migration. */
export async function createMigratedDatabase(settings: DatabaseSettings, name: string): Promise<DatabaseSettings> {
  await dropDatabase(settings.direct, name);
  await createDatabase(settings.direct, name);
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
  await createDatabase(settings.direct, name, { template });
  return settingsFor(settings, name);
}

/** Reverts one applied migration, and only that one, through the project's migrator. */
export async function revertMigration(settings: DatabaseSettings, migration: string): Promise<void> {
  const database = settings.direct.database;
  const reverted = await withSchemaOrm(settings, database, (orm) => orm.migrator.down({ migrations: [migration] }));
  if (reverted.length !== 1) throw new Error(`${migration} is not applied in ${database}, so it cannot be reverted`);
}

/** Applies one pending migration of `settings`' database (after `revertMigration` took it back). */
export async function applyMigration(settings: DatabaseSettings, migration: string): Promise<void> {
  const database = settings.direct.database;
  const applied = await withSchemaOrm(settings, database, (orm) => orm.migrator.up({ migrations: [migration] }));
  if (applied.length !== 1) throw new Error(`${migration} is not pending in ${database}, so it cannot be applied`);
}
