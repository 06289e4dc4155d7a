/**
 * A digest of every row of every table, to show that "nothing was written" (or nothing of one
 * tenant's) means it: a changed column, not only a changed row count, changes the digest.
 */
import type { TestDatabase } from './test-database.js';

/**
 * Every table that holds rows of ours, read from the catalog (so tables added later are covered):
 * ordinary tables and partitioned parents of our schema, not partitions (their rows are read
 * through the parent), not the migrator's bookkeeping.
 */
export async function dataTables(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition and c.relname <> 'mikro_orm_migrations'
     order by c.relname`,
    [db.settings.direct.schema],
  );
  return rows.map((r) => r.name);
}

export type Digest = Record<string, { rows: number; md5: string }>;

/**
 * Per table: the number of rows and an md5 over the text of every row (in a fixed order, whatever
 * the table's key). With `mentioning`, only the rows whose text contains one of those values (a
 * tenant's ids, say) count.
 */
export async function digestRows(db: TestDatabase, options: { mentioning?: string[] } = {}): Promise<Digest> {
  const tables = await dataTables(db);
  const filter = options.mentioning ? `where t::text ~ $1` : '';
  const params = options.mentioning ? [options.mentioning.map(escapeRegExp).join('|')] : [];
  const select = tables
    .map(
      (table, i) =>
        `(select json_build_object('rows', count(*), 'md5', md5(coalesce(string_agg(md5(t::text), '' order by md5(t::text)), '')))
          from ${quote(table)} t ${filter}) as t${i}`,
    )
    .join(', ');
  const [row] = await db.sql<Record<string, { rows: number; md5: string }>>(`select ${select}`, params);
  return Object.fromEntries(tables.map((table, i) => [table, row![`t${i}`]!]));
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
