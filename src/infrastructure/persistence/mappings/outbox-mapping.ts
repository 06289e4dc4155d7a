import { defineEntity, p } from '@mikro-orm/core';
import { EVENT_KINDS, EVENT_SCOPES } from '../../../application/events/event-catalogue.js';
import { OutboxEvent, OutboxKey } from '../../../application/events/outbox-event.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * The transactional outbox. Keyed by the ordering key first, so the table can later be
 * partitioned (or its relays sharded) by key without changing what orders events: `position`,
 * drawn from the key's counter row under its lock (see outbox.ts), is commit order within a key.
 * Rows are their tenant's like every other table's: a unit of work confined to a user sees only
 * that user's events (the relay connects as the owner, whom policies do not bind).
 */
export const OutboxEventSchema = defineEntity({
  class: OutboxEvent,
  tableName: 'outbox_event',
  properties: {
    orderingKey: p.uuid().primary(),
    id: p.uuid().primary(),
    // numbered per key by the unit of work (outbox_key), never by a sequence: Citus refuses a
    // sequence-backed default on a distributed table, and a global number orders nothing the relay needs
    position: p.bigint('number'),
    kind: p.enum(Object.keys(EVENT_KINDS)),
    scope: p.enum(EVENT_SCOPES),
    tenantId: p.uuid(),
    domainId: p.uuid().nullable(),
    mailboxId: p.uuid().nullable(),
    modseq: p.bigint('number').nullable(),
    data: p.json(),
    occurredAt: p.datetime(),
  },
  uniques: [{ name: 'outbox_event_key_position_unique', properties: ['orderingKey', 'position'] }],
  // the relay's round starts from the oldest waiting events (outbox-relay.ts): an index seek, not a
  // scan of the whole outbox, however large a backlog grew while the stream was unreachable
  indexes: [{ name: 'outbox_event_occurred_at_index', properties: ['occurredAt'] }],
  checks: [
    { name: 'outbox_event_position', expression: 'position >= 1' },
    {
      name: 'outbox_event_ordering_key',
      expression:
        "(scope = 'user' and ordering_key = tenant_id) or (scope = 'domain' and ordering_key = domain_id) " +
        "or (scope = 'mailbox' and ordering_key = mailbox_id and domain_id is not null)",
    },
    { name: 'outbox_event_modseq', expression: 'modseq is null or modseq > 0' },
  ],
  policies: tenantPolicy('outbox_event', (a) => `tenant_id = ${a}`),
});

/** Each ordering key's counter of positions (see OutboxKey); co-located with its events. */
export const OutboxKeySchema = defineEntity({
  class: OutboxKey,
  tableName: 'outbox_key',
  properties: {
    orderingKey: p.uuid().primary(),
    tenantId: p.uuid(),
    lastPosition: p.bigint('number'),
  },
  checks: [{ name: 'outbox_key_last_position', expression: 'last_position >= 1' }],
  policies: tenantPolicy('outbox_key', (a) => `tenant_id = ${a}`),
});
