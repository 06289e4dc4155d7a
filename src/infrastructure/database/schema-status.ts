/**
 * Is the database's schema as new as this code? The migrations this code ships are the files of
 * its migrations folder (TypeScript in a clone, JavaScript in the package); the applied ones are
 * the rows of MikroORM's migrations table. One query answers it, so `openAether()` asks at open
 * time and a consumer gets SCHEMA_OUTDATED, naming the command to run, instead of an outage on
 * the first call (a missing table or column).
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PersistenceError } from '../../domain/errors.js';

const MIGRATION_FILE = /^(Migration\d{14}_[\w-]+)\.(?:ts|js|mjs)$/;

/** The names of the migrations this code ships, oldest first. */
export async function shippedMigrations(orm: MikroORM): Promise<string[]> {
  const folder = orm.config.get('migrations').path ?? 'migrations';
  const path = isAbsolute(folder) ? folder : join(orm.config.get('baseDir'), folder);
  const names = (await readdir(path))
    .filter((file) => !file.endsWith('.d.ts'))
    .map((file) => MIGRATION_FILE.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)].sort();
}

/**
 * The shipped migrations the database has not applied, oldest first; all of them on an empty
 * database. Undefined when the connecting role may not read the migrations table (a role granted
 * before it could: `npm run db:app-role` again).
 */
export async function pendingMigrations(orm: MikroORM): Promise<string[] | undefined> {
  const shipped = await shippedMigrations(orm);
  const schema = orm.config.get('schema') ?? 'public';
  const table = orm.config.get('migrations').tableName ?? 'mikro_orm_migrations';
  let applied: Set<string>;
  try {
    const rows = await orm.em
      .getConnection()
      .execute<{ name: string }[]>(`select name from "${schema}"."${table}"`, [], 'all');
    applied = new Set(rows.map((r) => r.name.replace(/\.[jt]s$/, '')));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42P01' || code === '3F000')
      applied = new Set(); // no migrations table or schema yet: an empty database
    else if (code === '42501') return undefined;
    else throw error;
  }
  return shipped.filter((name) => !applied.has(name));
}

/** The error a consumer gets when the database is behind the code. */
export class SchemaOutdatedError extends PersistenceError {
  override name = 'SchemaOutdatedError';

  constructor(readonly pending: string[]) {
    super(
      'SCHEMA_OUTDATED',
      `the database schema is ${pending.length} migration(s) behind this code (next: ${pending[0]}): ` +
        'run `npx mikro-orm migration:up`, or open with `openAether({ migrate: true })`',
    );
  }
}
