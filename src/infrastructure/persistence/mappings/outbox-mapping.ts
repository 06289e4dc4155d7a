import { defineEntity, p } from '@mikro-orm/core';
import { EVENT_KINDS } from '../../../application/events/event-catalogue.js';
import { OutboxEvent } from '../../../application/events/outbox-event.js';

/**
 * The transactional outbox. Keyed by the ordering key first, so the table can later be
 * partitioned (or its relays sharded) by key without changing what orders events: `position`,
 * drawn at insert under the key's lock (see outbox.ts), is commit order within a key.
 * No tenant policy: only the data layer and the relay touch it, never a user's read.
 */
export const OutboxEventSchema = defineEntity({
  class: OutboxEvent,
  tableName: 'outbox_event',
  properties: {
    orderingKey: p.uuid().primary(),
    id: p.uuid().primary(),
    // an identity column: inserting needs no grant on a sequence, and the ORM never writes it
    position: p.bigint('number').generated('by default as identity').index('outbox_event_position_index'),
    kind: p.enum(Object.keys(EVENT_KINDS)),
    scope: p.enum(['user', 'domain', 'mailbox']),
    tenantId: p.uuid(),
    domainId: p.uuid().nullable(),
    mailboxId: p.uuid().nullable(),
    modseq: p.bigint('number').nullable(),
    data: p.json(),
    occurredAt: p.datetime(),
  },
  checks: [
    {
      name: 'outbox_event_ordering_key',
      expression:
        "(scope = 'user' and ordering_key = tenant_id) or (scope = 'domain' and ordering_key = domain_id) " +
        "or (scope = 'mailbox' and ordering_key = mailbox_id and domain_id is not null)",
    },
    { name: 'outbox_event_modseq', expression: 'modseq is null or modseq > 0' },
  ],
});
