/**
 * The schema-qualified name of an entity's table, for the few statements written as SQL (counters
 * raised by `update … returning`, upserts, sweeps). The application's connections do not put the
 * configured `?schema=` on their search path (a pooler in transaction mode would not keep it), so
 * SQL names its tables the way MikroORM's own queries do.
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
