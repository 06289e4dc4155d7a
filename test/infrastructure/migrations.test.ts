import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { type MigrationObject, MikroORM } from '@mikro-orm/postgresql';
import { Migration } from '@mikro-orm/migrations';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';

const db = useEmptyDatabase();

/** The project's own migrations, in order, as the migrator would find them. */
async function projectMigrations(): Promise<MigrationObject[]> {
  const files = (await readdir(new URL('../../migrations', import.meta.url)))
    .filter((f) => /^Migration\d+.*\.ts$/.test(f))
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const mod = (await import(`../../migrations/${file}`)) as Record<string, new (...args: never[]) => Migration>;
      return { name: file.replace(/\.ts$/, ''), class: Object.values(mod)[0]! as never };
    }),
  );
}

async function openOrm(extra: MigrationObject[] = []) {
  const config = createOrmConfig(db.settings, 'schema');
  const migrationsList = [...(await projectMigrations()), ...extra];
  return MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true, migrationsList } });
}

/** Everything PostgreSQL knows about our schema's structure, comparable as a value. */
async function structure() {
  const schema = db.settings.direct.schema;
  const [columns, constraints, indexes, triggers, policies] = await Promise.all([
    db.sql(
      `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = $1 order by 1, 2`,
      [schema],
    ),
    db.sql(
      `select conrelid::regclass::text as t, conname, pg_get_constraintdef(oid) as def from pg_constraint where connamespace = $1::regnamespace order by 1, 2`,
      [schema],
    ),
    db.sql(`select tablename, indexname, indexdef from pg_indexes where schemaname = $1 order by 1, 2`, [schema]),
    db.sql(
      `select tgname, pg_get_triggerdef(t.oid) as def from pg_trigger t join pg_class c on c.oid = t.tgrelid where c.relnamespace = $1::regnamespace and not tgisinternal order by 1, 2`,
      [schema],
    ),
    db.sql(
      `select c.relname, c.relrowsecurity, p.polname, pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as check
       from pg_class c left join pg_policy p on p.polrelid = c.oid
       where c.relnamespace = $1::regnamespace and c.relkind in ('r', 'p') order by 1, 3`,
      [schema],
    ),
  ]);
  return { columns, constraints, indexes, triggers, policies };
}

describe('migrations', () => {
  it('up, down and up again leave the same schema, the one the entities describe', async () => {
    const orm = await openOrm();
    try {
      await orm.migrator.up();
      const first = await structure();
      expect(first.columns.length).toBeGreaterThan(0);
      expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
      await orm.migrator.down({ to: 0 });
      expect(
        await db.sql(
          `select table_name from information_schema.tables where table_schema = $1 and table_name <> 'mikro_orm_migrations'`,
          [db.settings.direct.schema],
        ),
      ).toEqual([]);
      await orm.migrator.up();
      expect(await structure()).toEqual(first);
    } finally {
      await orm.close(true);
    }
  });

  it('a migration that fails half-way leaves no trace, and the error names it', async () => {
    class Migration29990101000000_broken extends Migration {
      override up() {
        this.addSql('create table half_done (id int primary key)');
        this.addSql('insert into half_done values (1)');
        this.addSql('select 1 / 0');
      }
    }
    const orm = await openOrm([
      { name: 'Migration29990101000000_broken', class: Migration29990101000000_broken as never },
    ]);
    try {
      const error = await orm.migrator.up().catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect(String((error as Error).message)).toMatch(/Migration29990101000000_broken/);
      expect(await db.sql(`select to_regclass('half_done') as t`)).toEqual([{ t: null }]);
      const applied = await db.sql<{ name: string }>('select name from mikro_orm_migrations');
      expect(applied.map((r) => r.name)).not.toContain('Migration29990101000000_broken');
    } finally {
      await orm.close(true);
    }
  });

  it('a later migration that adds a column keeps the rows already there', async () => {
    const orm = await openOrm();
    await orm.migrator.up();
    await db.sql(`insert into "user" (id, email, password_hash, status, created_at, updated_at, version)
                  values (gen_random_uuid(), 'kept@rows.test', 'h', 'active', now(), now(), 1)`);
    await orm.close(true);
    class Migration29990101000001_nickname extends Migration {
      override up() {
        this.addSql(`alter table "user" add column "nickname" varchar(50) not null default 'friend'`);
      }
      override down() {
        this.addSql(`alter table "user" drop column "nickname"`);
      }
    }
    const later = await openOrm([
      { name: 'Migration29990101000001_nickname', class: Migration29990101000001_nickname as never },
    ]);
    try {
      await later.migrator.up();
      expect(await db.sql(`select email, nickname from "user"`)).toEqual([
        { email: 'kept@rows.test', nickname: 'friend' },
      ]);
      await later.migrator.down();
      expect(await db.sql(`select email from "user"`)).toEqual([{ email: 'kept@rows.test' }]);
    } finally {
      await later.close(true);
    }
  });
});
