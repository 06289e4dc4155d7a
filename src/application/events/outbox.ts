/**
 * The transactional outbox, seen from the use cases: `record…Event(em, …)` inside a unit of work
 * appends an event to that unit of work; the unit of work writes them in its own transaction
 * (`writeRecordedEvents`, after its flush), so a rolled-back unit of work leaves none and a
 * committed one always has its events. The relay (src/infrastructure/events) publishes them.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Domain } from '../../domain/domain.js';
import type { Mailbox } from '../../domain/mailbox.js';
import type { EventData, EventKind } from './event-catalogue.js';
import { sqlTable } from '../sql-table.js';
import { OutboxEvent, OutboxKey } from './outbox-event.js';
import { quotaThresholdsCrossed } from './quota-thresholds.js';

/** The channel the unit of work NOTIFYs (at commit) when it wrote events; the relay LISTENs on it. */
export const OUTBOX_CHANNEL = 'aether_outbox';

type EventOf<S extends string> = Extract<EventKind, `${S}.${string}`>;

// per unit of work: the transactional entity manager the use case was handed
const recorded = new WeakMap<EntityManager, OutboxEvent[]>();

export function recordEvent(em: EntityManager, event: OutboxEvent): OutboxEvent {
  const events = recorded.get(em) ?? [];
  events.push(event);
  recorded.set(em, events);
  return event;
}

/** An event of a mailbox (mailbox, folder and email kinds); `modseq` once the mailbox has one. */
export function recordMailboxEvent(
  em: EntityManager,
  kind: EventOf<'mailbox' | 'folder' | 'email'>,
  mailbox: Mailbox,
  data: EventData = {},
  options: { modseq?: number | null } = {},
): OutboxEvent {
  return recordEvent(
    em,
    new OutboxEvent({
      kind,
      tenantId: mailbox.domain.owner.id,
      domainId: mailbox.domain.id,
      mailboxId: mailbox.id,
      modseq: options.modseq ?? null,
      data: { address: mailbox.address, ...data },
    }),
  );
}

/**
 * One `mailbox.quota_reached` per threshold (80, 95, 100 %) the mailbox's used bytes crossed
 * upwards since `usedBytesBefore`: one line after a delivery or a store into the mailbox.
 */
export function recordQuotaThresholds(
  em: EntityManager,
  mailbox: Mailbox,
  usedBytesBefore: number,
  options: { modseq?: number | null } = {},
): OutboxEvent[] {
  return quotaThresholdsCrossed(usedBytesBefore, mailbox.usedBytes, mailbox.quotaBytes).map((percent) =>
    recordMailboxEvent(
      em,
      'mailbox.quota_reached',
      mailbox,
      { percent, usedBytes: mailbox.usedBytes, quotaBytes: mailbox.quotaBytes },
      options,
    ),
  );
}

export function recordDomainEvent(
  em: EntityManager,
  kind: EventOf<'domain'>,
  domain: Domain,
  data: EventData = {},
): OutboxEvent {
  return recordEvent(
    em,
    new OutboxEvent({ kind, tenantId: domain.owner.id, domainId: domain.id, data: { name: domain.name, ...data } }),
  );
}

export function recordUserEvent(
  em: EntityManager,
  kind: EventOf<'user' | 'login' | 'outbound'>,
  user: { id: string },
  data: EventData = {},
): OutboxEvent {
  return recordEvent(em, new OutboxEvent({ kind, tenantId: user.id, data }));
}

/**
 * Writes the events recorded in this unit of work, last thing before its commit: the use case's
 * changes are flushed first (their row locks taken), then each ordering key's counter row is raised
 * by its number of events, in key order (the last step of the lock order in locking.ts, so it cannot
 * deadlock), and the events take the positions it handed out. The row lock is held to commit, so two
 * units of work with events of one key get positions in their commit order: the second waits for
 * the first's commit and numbers after it. With them one NOTIFY, delivered by PostgreSQL at commit
 * (and never on rollback). All of it is one statement.
 */
export async function writeRecordedEvents(em: EntityManager): Promise<number> {
  const events = recorded.get(em);
  recorded.delete(em);
  if (!events || events.length === 0) return 0;
  await em.flush();
  const byKey = new Map<string, OutboxEvent[]>();
  for (const event of events) byKey.set(event.orderingKey, [...(byKey.get(event.orderingKey) ?? []), event]);
  const keys = [...byKey.keys()].sort();
  // one statement (one round trip): every key's counter raised in key order (the sorted input is
  // inserted, and its rows locked, in order), the events at the positions it handed out, and the
  // relay's NOTIFY (an uncorrelated subquery: evaluated once; delivered by PostgreSQL at commit).
  // The rows go as JSON: MikroORM would spread an array parameter into a list.
  const counters = await em.execute<{ ordering_key: string; last_position: string; written: number }[]>(
    `with k as (
       insert into ${sqlTable(em, OutboxKey)} as k (ordering_key, tenant_id, last_position)
       select * from json_to_recordset(?::json) as c(ordering_key uuid, tenant_id uuid, n bigint) order by 1
       on conflict (ordering_key) do update set last_position = k.last_position + excluded.last_position
       returning ordering_key, last_position),
     e as (
       insert into ${sqlTable(em, OutboxEvent)}
         (ordering_key, id, position, kind, scope, tenant_id, domain_id, mailbox_id, modseq, data, occurred_at)
       select x.ordering_key, x.id, k.last_position - x.of_key + x.n, x.kind, x.scope, x.tenant_id, x.domain_id,
              x.mailbox_id, x.modseq, x.data, x.occurred_at
         from json_to_recordset(?::json) as x(ordering_key uuid, id uuid, kind text, scope text, tenant_id uuid,
              domain_id uuid, mailbox_id uuid, modseq bigint, data jsonb, occurred_at timestamptz, n int, of_key int)
         join k using (ordering_key)
       returning 1)
     select k.ordering_key, k.last_position, (select count(*)::int from e) as written,
            (select pg_notify(?, '')) is null as notified
       from k`,
    [
      JSON.stringify(
        keys.map((k) => ({ ordering_key: k, tenant_id: byKey.get(k)![0]!.tenantId, n: byKey.get(k)!.length })),
      ),
      JSON.stringify(
        keys.flatMap((k) =>
          byKey.get(k)!.map((event, i, ofKey) => ({
            ordering_key: k,
            id: event.id,
            kind: event.kind,
            scope: event.scope,
            tenant_id: event.tenantId,
            domain_id: event.domainId,
            mailbox_id: event.mailboxId,
            modseq: event.modseq,
            data: event.data,
            occurred_at: event.occurredAt,
            n: i + 1,
            of_key: ofKey.length,
          })),
        ),
      ),
      OUTBOX_CHANNEL,
    ],
  );
  if (counters[0]?.written !== events.length)
    throw new Error(`wrote ${counters[0]?.written} of ${events.length} events`);
  for (const { ordering_key, last_position } of counters) {
    const ofKey = byKey.get(ordering_key)!;
    const first = Number(last_position) - ofKey.length + 1;
    ofKey.forEach((event, i) => (event.position = first + i));
  }
  return events.length;
}

/** Forgets what a failed unit of work recorded (it is rolled back; nothing was written). */
export function discardRecordedEvents(em: EntityManager): void {
  recorded.delete(em);
}
