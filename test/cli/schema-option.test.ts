/**
 * `?schema=` for developing, not only for deploying: on a database migrated into a schema of its
 * own, the MikroORM CLI sees no drift, writes no migration, proposes no change — and the public
 * schema beside it does not propose dropping the sibling schema either.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { runMikroOrm, projectRoot } from '../support/cli.js';
import { useEmptyDatabase } from '../support/empty-database.js';

// whole commands in child processes, on a machine shared with other work
vi.setConfig({ testTimeout: 240_000 });

const db = useEmptyDatabase();
const withSchema = (schema: string) => {
  const url = new URL(db.url);
  url.searchParams.set('schema', schema);
  return { DATABASE_URL: url.toString() };
};
const migrationsDir = `${projectRoot}migrations`;
const committed = () => ({
  files: readdirSync(migrationsDir).sort(),
  snapshot: readFileSync(`${migrationsDir}/.snapshot.json`, 'utf8'),
});

describe('a database migrated with ?schema=door_dev, beside a migrated public schema', () => {
  it('is migrated into both schemas', async () => {
    for (const schema of ['door_dev', 'public']) {
      const { code, stderr } = await runMikroOrm(['migration:up'], { env: withSchema(schema) });
      expect({ schema, code, stderr }).toEqual({ schema, code: 0, stderr: '' });
    }
    const tables = await db.sql<{ schema: string; n: number }>(
      `select table_schema as schema, count(*)::int as n from information_schema.tables
       where table_name in ('user', 'domain', 'mikro_orm_migrations') group by 1 order by 1`,
    );
    expect(tables).toEqual([
      { schema: 'door_dev', n: 3 },
      { schema: 'public', n: 3 },
    ]);
  });

  for (const schema of ['door_dev', 'public']) {
    it(`migration:check reports no drift (${schema})`, async () => {
      const { code, stdout } = await runMikroOrm(['migration:check'], { env: withSchema(schema) });
      expect(stdout).toContain('No changes required, schema is up-to-date');
      expect(code).toBe(0);
    });

    it(`migration:create writes no migration and leaves the snapshot alone (${schema})`, async () => {
      const before = committed();
      const { code, stdout } = await runMikroOrm(['migration:create', '--dump'], { env: withSchema(schema) });
      expect(code).toBe(0);
      expect(stdout).toContain('No changes required, schema is up-to-date');
      expect(stdout).not.toMatch(/create table|drop schema/);
      expect(committed()).toEqual(before);
    });

    it(`schema:update --dump proposes nothing: not the migrations table, not the sibling schema (${schema})`, async () => {
      const { code, stdout } = await runMikroOrm(['schema:update', '--dump'], { env: withSchema(schema) });
      expect(code).toBe(0);
      expect(stdout).toContain('Schema is up-to-date');
      expect(stdout).not.toMatch(/drop|alter|create/i);
    });
  }
});
