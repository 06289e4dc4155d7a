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
 * the first's commit and numbers after it. Finally one NOTIFY, delivered by PostgreSQL at commit
 * (and never on rollback).
 */
export async function writeRecordedEvents(em: EntityManager): Promise<number> {
  const events = recorded.get(em);
  recorded.delete(em);
  if (!events || events.length === 0) return 0;
  await em.flush();
  const byKey = new Map<string, OutboxEvent[]>();
  for (const event of events) byKey.set(event.orderingKey, [...(byKey.get(event.orderingKey) ?? []), event]);
  const keys = [...byKey.keys()].sort();
  // every key's counter in key order, in one statement however many keys the unit of work touched
  // (the sorted input is inserted, and its rows locked, in order; ids never hold a comma, so each
  // list is one text parameter split in SQL)
  const counters = await em.execute<{ ordering_key: string; last_position: string }[]>(
    `insert into ${sqlTable(em, OutboxKey)} as k (ordering_key, tenant_id, last_position)
     select * from unnest(string_to_array(?, ',')::uuid[], string_to_array(?, ',')::uuid[], string_to_array(?, ',')::bigint[])
     order by 1
     on conflict (ordering_key) do update set last_position = k.last_position + excluded.last_position
     returning ordering_key, last_position`,
    [
      keys.join(','),
      keys.map((k) => byKey.get(k)![0]!.tenantId).join(','),
      keys.map((k) => byKey.get(k)!.length).join(','),
    ],
  );
  for (const { ordering_key, last_position } of counters) {
    const ofKey = byKey.get(ordering_key)!;
    const first = Number(last_position) - ofKey.length + 1;
    ofKey.forEach((event, i) => (event.position = first + i));
  }
  await em.insertMany(OutboxEvent, events);
  await em.execute('select pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
  return events.length;
}

/** Forgets what a failed unit of work recorded (it is rolled back; nothing was written). */
export function discardRecordedEvents(em: EntityManager): void {
  recorded.delete(em);
}
