import { defineEntity, p } from '@mikro-orm/core';
import { Mailbox } from '../../../domain/mailbox.js';
import { MAX_ADDRESS_OCTETS } from '../../../domain/email-address.js';
import {
  MAX_OUTBOUND_ERROR_LENGTH,
  MAX_RELAY_ID_LENGTH,
  OUTBOUND_STATUSES,
  OutboundMessage,
} from '../../../domain/outbound-message.js';
import { CONTENT_HASH_LENGTH } from '../../../domain/stored-message.js';
import { User } from '../../../domain/user.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * The outbound queue: one row per external recipient of a message sent or forwarded. Relays claim
 * due rows through the partial index on `next_attempt_at` (finished rows leave it). The raw message
 * is kept on the row until the row is finished: the
 * message store is per mailbox, so this table cannot refer to it (docs/scaling.md). The lifecycle's
 * rules are checks.
 */
export const OutboundMessageSchema = defineEntity({
  class: OutboundMessage,
  tableName: 'outbound_message',
  properties: {
    id: p.uuid().primary(),
    tenant: () => p.manyToOne(User).index('outbound_message_tenant_id_index').deleteRule('cascade'),
    senderMailbox: () =>
      p.manyToOne(Mailbox).nullable().index('outbound_message_sender_mailbox_id_index').deleteRule('set null'),
    envelopeSender: p.string().length(MAX_ADDRESS_OCTETS),
    recipient: p.string().length(MAX_ADDRESS_OCTETS),
    contentHash: p.string().length(CONTENT_HASH_LENGTH).nullable(),
    raw: p.blob().nullable().lazy(),
    status: p.enum(OUTBOUND_STATUSES),
    attempts: p.integer(),
    claimedBy: p.string().length(MAX_RELAY_ID_LENGTH).nullable(),
    nextAttemptAt: p.datetime(),
    lastError: p.string().length(MAX_OUTBOUND_ERROR_LENGTH).nullable(),
    bounceEmailId: p.uuid().nullable(),
    queuedAt: p.datetime(),
    updatedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [
    {
      name: 'outbound_message_due_index',
      expression:
        'create index "outbound_message_due_index" on "outbound_message" ("next_attempt_at") where status in (\'queued\', \'deferred\', \'claimed\')',
    },
  ],
  checks: [
    { name: 'outbound_message_attempts', expression: "attempts >= 0 and (status = 'queued') = (attempts = 0)" },
    {
      name: 'outbound_message_claim',
      expression: "(status = 'claimed') = (claimed_by is not null and claimed_by <> '')",
    },
    {
      name: 'outbound_message_finished',
      expression: "(status in ('delivered', 'bounced')) = (finished_at is not null)",
    },
    {
      name: 'outbound_message_content',
      expression:
        "(status in ('delivered', 'bounced') or raw is not null) and (content_hash is null) = (raw is null) and (content_hash is null or content_hash ~ '^[0-9a-f]{64}$')",
    },
    {
      name: 'outbound_message_error',
      expression: "status in ('queued', 'claimed', 'delivered') or last_error is not null",
    },
    { name: 'outbound_message_bounce', expression: "bounce_email_id is null or status = 'bounced'" },
    { name: 'outbound_message_recipient', expression: "recipient ~ '^[^@[:space:]]+@[^@[:space:]]+$'" },
    {
      name: 'outbound_message_envelope_sender',
      expression: "envelope_sender = '' or envelope_sender ~ '^[^@[:space:]]+@[^@[:space:]]+$'",
    },
    { name: 'outbound_message_times', expression: 'updated_at >= queued_at' },
  ],
  policies: tenantPolicy('outbound_message', (a) => `tenant_id = ${a}`),
});
