/**
 * Guard of `src/infrastructure/database/upstream/schema-scoped-introspection.ts`: the stock
 * PostgreSQL schema helper lists the tables of every schema whatever schemas it is asked for.
 * When the first test fails, upstream honours its `schemas` argument and the workaround can go.
 */
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../../support/empty-database.js';

const db = useEmptyDatabase();

async function listedSchemas(driver: typeof PostgreSqlDriver | undefined): Promise<string[]> {
  await db.sql('create schema if not exists guard_sibling');
  await db.sql('create table if not exists guard_sibling.elsewhere (id int)');
  await db.sql('create table if not exists public.here (id int)');
  const config = createOrmConfig(db.settings, 'schema');
  const orm = await MikroORM.init({ ...config, ...(driver ? { driver } : {}) } as never);
  try {
    const helper = orm.em.getPlatform().getSchemaHelper()!;
    const tables = await helper.getAllTables(orm.em.getConnection(), ['public']);
    return [...new Set(tables.map((t) => t.schema_name!))].sort();
  } finally {
    await orm.close(true);
  }
}

describe('listing the tables of the public schema', () => {
  it('the stock schema helper lists tables of schemas it was not asked for', async () => {
    expect(await listedSchemas(PostgreSqlDriver)).toEqual(['guard_sibling', 'public']);
  });

  it("the project's driver lists only the schemas asked for", async () => {
    expect(await listedSchemas(undefined)).toEqual(['public']);
  });
});
