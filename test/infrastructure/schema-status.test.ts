/**
 * A consumer opening a database whose schema is behind the code gets SCHEMA_OUTDATED at open
 * time, in one line naming the command to run — never DATABASE_UNAVAILABLE — and can apply the
 * migrations from code. Production never starts the embedded development database.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { openAether } from '../../src/infrastructure/aether.js';
import { resolveDatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { ConfigurationError } from '../../src/infrastructure/database/database-url.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { SchemaOutdatedError } from '../../src/infrastructure/database/schema-status.js';
import { translateDatabaseError } from '../../src/infrastructure/persistence/database-errors.js';
import { useEmptyDatabase } from '../support/empty-database.js';
import { fastHasher } from '../support/test-database.js';

const empty = useEmptyDatabase();

/** As the owner (the test's direct URL): the empty database has no application role yet. */
const ownerSettings = () => ({ ...empty.settings, application: empty.settings.direct });

async function migrator<T>(work: (orm: MikroORM) => Promise<T>): Promise<T> {
  const config = createOrmConfig(ownerSettings(), 'schema');
  const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}

describe('an outdated schema', () => {
  it('an empty database is refused at open as SCHEMA_OUTDATED, naming the command, and nothing is created', async () => {
    const error = await openAether({ settings: ownerSettings(), passwordHasher: fastHasher }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaOutdatedError);
    expect(error).toMatchObject({ code: 'SCHEMA_OUTDATED' });
    const { message, pending } = error as SchemaOutdatedError;
    expect(message).not.toContain('\n');
    expect(message).toContain('npx mikro-orm migration:up');
    expect(message).toContain('migrate: true');
    expect(pending[0]).toMatch(/^Migration\d{14}_initial$/);
    expect(
      await empty.sql(`select count(*)::int as n from information_schema.tables where table_schema = $1`, [
        empty.settings.direct.schema,
      ]),
    ).toEqual([{ n: 0 }]);
  });

  it('openAether({ migrate: true }) applies every migration; the next open finds nothing pending', async () => {
    const aether = await openAether({ settings: ownerSettings(), passwordHasher: fastHasher, migrate: true });
    try {
      expect(await aether.migrations.pending()).toEqual([]);
      expect(await aether.migrations.up()).toEqual([]);
    } finally {
      await aether.close();
    }
    const applied = await empty.sql<{ name: string }>('select name from mikro_orm_migrations order by id');
    const again = await openAether({ settings: ownerSettings(), passwordHasher: fastHasher });
    await again.close();
    expect(applied.length).toBeGreaterThan(1);
  });

  it('one migration rolled back: open refuses with it named; schemaCheck: false opens, and migrations.up() catches up', async () => {
    const [last] = await migrator(async (orm) => orm.migrator.down());
    expect(last).toBeDefined();
    const error = await openAether({ settings: ownerSettings(), passwordHasher: fastHasher }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaOutdatedError);
    expect((error as SchemaOutdatedError).pending).toEqual([last!.name]);

    const aether = await openAether({ settings: ownerSettings(), passwordHasher: fastHasher, schemaCheck: false });
    try {
      expect(await aether.migrations.pending()).toEqual([last!.name]);
      expect(await aether.migrations.up()).toEqual([last!.name]);
      expect(await aether.migrations.pending()).toEqual([]);
    } finally {
      await aether.close();
    }
  });

  it('a missing table or column met after open is SCHEMA_OUTDATED, not an outage', () => {
    for (const code of ['42P01', '42703']) {
      const translated = translateDatabaseError(Object.assign(new Error('relation "x" does not exist'), { code }));
      expect(isDomainError(translated, 'SCHEMA_OUTDATED'), code).toBe(true);
    }
  });
});

describe('production', () => {
  it('NODE_ENV=production without DATABASE_URL is a one-line configuration error, not an embedded database', async () => {
    const error = await resolveDatabaseSettings({ NODE_ENV: 'production' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^DATABASE_URL is not set \(NODE_ENV=production/);
    expect((error as Error).message).not.toContain('\n');
  });
});
