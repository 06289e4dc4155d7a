import { defineEntity, p } from '@mikro-orm/core';
import { Mailbox } from '../../../domain/mailbox.js';
import { MailboxUsage } from '../../../domain/mailbox-usage.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * A mailbox's quota and bytes used, one row per mailbox: what every delivery locks and writes,
 * out of the directory (`address` is a reference table on Citus, where every write is replicated
 * to every node) and distributed by `mailbox_id` with the mailbox's mail (issue #19,
 * docs/scaling.md item 2). The quota holds here, whoever writes the row.
 */
export const MailboxUsageSchema = defineEntity({
  class: MailboxUsage,
  tableName: 'mailbox_usage',
  properties: {
    // no ON UPDATE CASCADE: Citus refuses it on a key that includes the distribution column
    mailbox: () => p.oneToOne(Mailbox).primary().owner().deleteRule('cascade').updateRule('no action'),
    ownerId: p.uuid(),
    quotaBytes: p.bigint('number'),
    usedBytes: p.bigint('number'),
    version: p.integer().version(),
  },
  checks: [
    { name: 'mailbox_usage_bytes', expression: 'quota_bytes >= 0 and used_bytes >= 0' },
    { name: 'mailbox_usage_quota', expression: 'quota_bytes = 0 or used_bytes <= quota_bytes' },
  ],
  policies: tenantPolicy('mailbox_usage', (a) => `owner_id = ${a}`),
});
