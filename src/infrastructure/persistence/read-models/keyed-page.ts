/**
 * Pages of a list ordered by one text property and then the id (users by email, domains by name,
 * mailboxes and aliases by address), continued after a keyset position with one row comparison:
 * PostgreSQL seeks to `(key, id) > (?, ?)` in the (key, id) order, where the equivalent
 * `key > x or (key = x and id > y)` is a filter it evaluates row by row. The same shape as the
 * email page (email-page.ts), ascending.
 */
import type { EntityClass } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { KeyedPageQuery } from '../../../application/read-models.js';

export async function keyedPage<E extends object>(
  em: EntityManager,
  entity: EntityClass<E>,
  query: KeyedPageQuery<E>,
): Promise<E[]> {
  const meta = em.getMetadata().get(entity);
  const [keyColumn] = meta.properties[query.key as keyof typeof meta.properties]!.fieldNames;
  const qb = em
    .createQueryBuilder(entity, 'r')
    .select('*')
    // the filter is built for E; the query builder's types cannot follow it through a generic entity
    .where(query.where as never)
    .orderBy([{ [query.key]: 'asc' }, { id: 'asc' }] as never)
    .limit(query.limit);
  if (query.after) qb.andWhere(`(r.${keyColumn}, r.id) > (?, ?)`, [query.after.key, query.after.id]);
  return qb.getResultList();
}
