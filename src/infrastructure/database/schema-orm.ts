/** The ORM opened for schema work (migrations) on one database of a server, for tools and tests. */
import { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from './database-settings.js';
import { createOrmConfig } from './orm-config.js';

/** Runs `work` with the ORM opened as the schema owner on `database`, the migrator quiet; closes it after. */
export async function withSchemaOrm<T>(
  settings: DatabaseSettings,
  database: string,
  work: (orm: MikroORM) => Promise<T>,
): Promise<T> {
  const config = createOrmConfig(settings, 'schema', { database });
  const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}
