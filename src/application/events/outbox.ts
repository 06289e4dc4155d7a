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
import { OutboxEvent } from './outbox-event.js';
import { quotaThresholdsCrossed } from './quota-thresholds.js';

/** The channel the unit of work NOTIFYs (at commit) when it wrote events; the relay LISTENs on it. */
export const OUTBOX_CHANNEL = 'aether_outbox';

/** The advisory lock key of an ordering key (`pg_advisory_xact_lock(hashtextextended(key, 0))`). */
export const orderingLockKey = (orderingKey: string): string => `aether.outbox:${orderingKey}`;

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
 * changes are flushed first (their row locks taken), then each ordering key's advisory lock in key
 * order (the last step of the lock order in locking.ts, so it cannot deadlock), then the rows,
 * whose `position` the database assigns now. Two units of work with events of one key thus get
 * positions in their commit order: the second cannot draw one before the first has committed.
 * Finally one NOTIFY, delivered by PostgreSQL at commit (and never on rollback).
 */
export async function writeRecordedEvents(em: EntityManager): Promise<number> {
  const events = recorded.get(em);
  recorded.delete(em);
  if (!events || events.length === 0) return 0;
  await em.flush();
  const keys = [...new Set(events.map((e) => orderingLockKey(e.orderingKey)))].sort();
  // every key's lock in key order, in one statement however many mailboxes the unit of work touched
  // (unnest yields the sorted array in order, and the aggregate takes the locks as it goes)
  // (keys are ids, never holding a comma: one text parameter, split in SQL)
  await em.execute(
    "select count(pg_advisory_xact_lock(hashtextextended(k, 0))) from unnest(string_to_array(?, ',')) as k",
    [keys.join(',')],
  );
  await em.insertMany(OutboxEvent, events);
  await em.execute('select pg_notify(?, ?)', [OUTBOX_CHANNEL, '']);
  return events.length;
}

/** Forgets what a failed unit of work recorded (it is rolled back; nothing was written). */
export function discardRecordedEvents(em: EntityManager): void {
  recorded.delete(em);
}
