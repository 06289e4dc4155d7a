/**
 * Upstream: @mikro-orm/sql 7.2.1 on PostgreSQL introspects the tables of every schema of the
 * database, whatever schemas it is asked for. `DatabaseSchema.create` passes the target's
 * namespaces to `SchemaHelper.getAllTables(connection, schemas)` (sql/schema/SchemaHelper.js
 * line 133), which ignores them: `getListTablesSQL()` lists all schemas. So `schema:update` on the
 * public schema proposes dropping every table of a sibling schema (`?schema=foo` of another
 * checkout or tenant), and on `?schema=foo` it proposes dropping the public `mikro_orm_migrations`.
 *
 * Views have the same defect: `loadViews` and `loadMaterializedViews`
 * (sql/dialects/postgresql/PostgreSqlSchemaHelper.js lines 69 and 86) list the views of every
 * schema, so a sibling's views (and their schema) are proposed for dropping too — for us, the
 * mail servers' lookup views of another `?schema=` (`<schema>_mail_v1`).
 *
 * Workaround: the schema helper keeps only the tables and views of the schemas it was asked for.
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
  // views: only those of the schema introspected (`schemaName`, the default schema when unset)
  for (const method of ['loadViews', 'loadMaterializedViews'] as const) {
    const load = helper[method].bind(helper);
    helper[method] = async (schema, connection, schemaName, ctx) => {
      const wanted = schemaName ?? platform.getDefaultSchemaName();
      const scoped = new Proxy(schema, {
        get(target, property, receiver) {
          if (property !== 'addView') return Reflect.get(target, property, receiver);
          return (name: string, viewSchema: string | undefined, ...rest: unknown[]) =>
            (viewSchema ?? platform.getDefaultSchemaName()) === wanted
              ? (target.addView as (...args: unknown[]) => unknown)(name, viewSchema, ...rest)
              : { name, schema: viewSchema }; // left out; a throwaway the caller may annotate
        },
      });
      return load(scoped, connection, schemaName, ctx);
    };
  }
  const listAll = helper.getAllTables.bind(helper);
  helper.getAllTables = async (connection, schemas, ctx) => {
    const tables = (await listAll(connection, schemas, ctx)) as TableRow[];
    if (!schemas || schemas.length === 0) return tables as never;
    return tables.filter((t) => t.schema_name === undefined || schemas.includes(t.schema_name)) as never;
  };
}
