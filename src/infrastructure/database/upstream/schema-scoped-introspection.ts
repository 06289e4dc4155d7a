/**
 * Upstream: @mikro-orm/sql 7.2.1 on PostgreSQL introspects the tables of every schema of the
 * database, whatever schemas it is asked for. `DatabaseSchema.create` passes the target's
 * namespaces to `SchemaHelper.getAllTables(connection, schemas)` (sql/schema/SchemaHelper.js
 * line 133), which ignores them: `getListTablesSQL()` lists all schemas. So `schema:update` on the
 * public schema proposes dropping every table of a sibling schema (`?schema=foo` of another
 * checkout or tenant), and on `?schema=foo` it proposes dropping the public `mikro_orm_migrations`.
 *
 * Workaround: the schema helper keeps only the tables of the schemas it was asked for.
 *
 * Delete when: `getAllTables` honours its `schemas` argument — the test "the stock schema helper
 * lists tables of schemas it was not asked for" then fails.
 * Guarded by: test/infrastructure/upstream/schema-scoped-introspection.test.ts.
 */
import type { AbstractSqlPlatform } from '@mikro-orm/sql';

interface TableRow {
  table_name: string;
  schema_name?: string;
}

export function scopeIntrospectionToSchemas(platform: AbstractSqlPlatform): void {
  const helper = platform.getSchemaHelper()!;
  const listAll = helper.getAllTables.bind(helper);
  helper.getAllTables = async (connection, schemas, ctx) => {
    const tables = (await listAll(connection, schemas, ctx)) as TableRow[];
    if (!schemas || schemas.length === 0) return tables as never;
    return tables.filter((t) => t.schema_name === undefined || schemas.includes(t.schema_name)) as never;
  };
}
