/**
 * What each user or domain of a list holds (domains, mailboxes, aliases, email, storage): a few
 * grouped queries for the whole list, whatever its length, never a query per row.
 */
import { raw } from '@mikro-orm/core';
import type { EntityManager, QueryBuilder } from '@mikro-orm/postgresql';
import type { DomainTotals, UserTotals } from '../../../application/read-models.js';
import { Alias } from '../../../domain/alias.js';
import { Domain } from '../../../domain/domain.js';
import { Email } from '../../../domain/email.js';
import { Mailbox } from '../../../domain/mailbox.js';

type Grouped = Map<string, { n: number; bytes: number }>;
type GroupedRow = { k: string; n: number; bytes?: string | null };

function grouped(rows: GroupedRow[]): Grouped {
  return new Map(rows.map((r) => [r.k, { n: r.n, bytes: Number(r.bytes ?? 0) }]));
}

const COUNT = raw('count(*)::int as n');
const STORAGE = raw('coalesce(sum(mu.used_bytes), 0)::bigint as bytes');

/** Rows counted by one column, among those matching `where`. */
function countBy<E extends object>(qb: QueryBuilder<E>, by: string, where: object) {
  return qb
    .select([raw(`${by} as k`), COUNT])
    .where(where)
    .groupBy(raw(by))
    .execute<GroupedRow[]>('all', false);
}

/** Mailbox count and storage, grouped by the domain (`m.domain_id`) or its owner (`d.owner_id`). */
function mailboxes(em: EntityManager, by: 'm.domain_id' | 'd.owner_id', ids: string[]) {
  return em
    .createQueryBuilder(Mailbox, 'm')
    .select([raw(`${by} as k`), COUNT, STORAGE])
    .join('m.domain', 'd')
    .join('m.usage', 'mu')
    .where(by === 'm.domain_id' ? { domain: { $in: ids } } : { 'd.owner': { $in: ids } })
    .groupBy(raw(by))
    .execute<GroupedRow[]>('all', false);
}

/** Alias count, grouped by the domain (`a.domain_id`) or its owner (`d.owner_id`). */
function aliases(em: EntityManager, by: 'a.domain_id' | 'd.owner_id', ids: string[]) {
  return em
    .createQueryBuilder(Alias, 'a')
    .select([raw(`${by} as k`), COUNT])
    .join('a.domain', 'd')
    .where(by === 'a.domain_id' ? { domain: { $in: ids } } : { 'd.owner': { $in: ids } })
    .groupBy(raw(by))
    .execute<GroupedRow[]>('all', false);
}

export async function userTotalsOf(em: EntityManager, userIds: string[]): Promise<Map<string, UserTotals>> {
  if (userIds.length === 0) return new Map();
  const domains = grouped(await countBy(em.createQueryBuilder(Domain, 'd'), 'd.owner_id', { owner: { $in: userIds } }));
  const boxes = grouped(await mailboxes(em, 'd.owner_id', userIds));
  const forwards = grouped(await aliases(em, 'd.owner_id', userIds));
  const emails = grouped(await countBy(em.createQueryBuilder(Email, 'e'), 'e.user_id', { user: { $in: userIds } }));
  return new Map(
    userIds.map((id) => [
      id,
      {
        domains: domains.get(id)?.n ?? 0,
        mailboxes: boxes.get(id)?.n ?? 0,
        aliases: forwards.get(id)?.n ?? 0,
        emails: emails.get(id)?.n ?? 0,
        storageBytes: boxes.get(id)?.bytes ?? 0,
      },
    ]),
  );
}

export async function domainTotalsOf(em: EntityManager, domainIds: string[]): Promise<Map<string, DomainTotals>> {
  if (domainIds.length === 0) return new Map();
  const boxes = grouped(await mailboxes(em, 'm.domain_id', domainIds));
  const forwards = grouped(await aliases(em, 'a.domain_id', domainIds));
  return new Map(
    domainIds.map((id) => [
      id,
      {
        mailboxes: boxes.get(id)?.n ?? 0,
        aliases: forwards.get(id)?.n ?? 0,
        storageBytes: boxes.get(id)?.bytes ?? 0,
      },
    ]),
  );
}
