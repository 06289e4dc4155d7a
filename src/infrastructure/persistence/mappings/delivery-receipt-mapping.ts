import { defineEntity, p } from '@mikro-orm/core';
import { DeliveryReceipt } from '../../../domain/delivery-receipt.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { CONTENT_HASH_LENGTH } from '../../../domain/stored-message.js';
import { tenantPolicy } from './tenant-policy.js';

/** Which messages each mailbox received lately (idempotent LMTP delivery); keyed by mailbox first. */
export const DeliveryReceiptSchema = defineEntity({
  class: DeliveryReceipt,
  tableName: 'delivery_receipt',
  properties: {
    mailbox: () => p.manyToOne(Mailbox).primary().deleteRule('cascade'),
    ownerId: p.uuid(),
    contentHash: p.string().length(CONTENT_HASH_LENGTH).primary(),
    deliveredAt: p.datetime(),
  },
  checks: [{ name: 'delivery_receipt_hash', expression: `content_hash ~ '^[0-9a-f]{64}$'` }],
  policies: tenantPolicy('delivery_receipt', (a) => `owner_id = ${a}`),
});
