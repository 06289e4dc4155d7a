/**
 * Applies the pending migrations from code: what `npx mikro-orm migration:up` does, for
 * applications that migrate at start (`openAether({ migrate: true })`, `aether.migrations.up()`).
 * Always on the direct connection (`DATABASE_URL`, never the pooler), as the schema owner, with
 * the advisory lock that lets concurrent deploys wait for each other (LockingMigrator).
 */
import { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from './database-settings.js';
import { createOrmConfig } from './orm-config.js';
import { DatabaseUnavailableError, describeConnectionFailure, preflight } from './preflight.js';

export async function applyMigrations(settings: DatabaseSettings): Promise<string[]> {
  await preflight(settings.direct); // one-line failure, and the `?schema=` schema created when missing
  const config = createOrmConfig(settings, 'schema');
  const orm = new MikroORM({ ...config, migrations: { ...config.migrations, silent: true } });
  try {
    try {
      await orm.connect();
    } catch (error) {
      throw new DatabaseUnavailableError(describeConnectionFailure(settings.direct, error), { cause: error });
    }
    return (await orm.migrator.up()).map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}
