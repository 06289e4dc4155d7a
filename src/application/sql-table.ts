/**
 * The few statements written as SQL (counters raised by `update … returning`, upserts, sweeps,
 * reads that hydrate nothing): their tables' schema-qualified names and the connection a read runs
 * on. The application's connections do not put the configured `?schema=` on their search path (a
 * pooler in transaction mode would not keep it), so SQL names its tables the way MikroORM's own
 * queries do.
 */
import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function sqlTable(em: EntityManager, entity: EntityClass<object>): string {
  const meta = em.getMetadata().get(entity);
  const schema = meta.schema ?? em.config.get('schema');
  return schema && schema !== '*' ? `${quote(schema)}.${quote(meta.tableName)}` : quote(meta.tableName);
}

/** The schema-qualified name of one of the migrations' SQL functions, in the schema of the entities. */
export function sqlFunction(em: EntityManager, name: string): string {
  const schema = em.config.get('schema');
  return schema && schema !== '*' ? `${quote(schema)}.${quote(name)}` : quote(name);
}

/**
 * Runs a read written as SQL as the query builder would: in `em`'s transaction, on its own
 * connection, if it has one; else on a replica when replicas are preferred.
 */
export async function readRows<Row>(em: EntityManager, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const ctx = em.getTransactionContext();
  const type = !ctx && em.config.get('preferReadReplicas') ? 'read' : 'write';
  return em.getConnection(type).execute<Row[]>(sql, [...values], 'all', ctx);
}
