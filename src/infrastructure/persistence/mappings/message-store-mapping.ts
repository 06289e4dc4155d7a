import { defineEntity, p } from '@mikro-orm/core';
import { CHANGE_KINDS, FOLDER_EVENTS, MailboxState, MailChange } from '../../../domain/mail-change.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { CONTENT_HASH_LENGTH, StoredMessage } from '../../../domain/stored-message.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * Stored messages, content-addressed within a mailbox: one row per mailbox and distinct raw message,
 * whatever number of its emails hold a copy. Keyed by mailbox first like the email table, so a
 * mailbox's messages live with its mail (on Citus, co-located by `mailbox_id`: issue #19); a message
 * delivered to N mailboxes is stored N times. The raw bytes are kept out of line (TOAST,
 * uncompressed: mail is mostly compressed already, and `substring` reads of an external value touch
 * only the chunks asked for).
 */
export const StoredMessageSchema = defineEntity({
  class: StoredMessage,
  tableName: 'message',
  properties: {
    // no ON UPDATE CASCADE: Citus refuses it on a key that includes the distribution column
    mailbox: () => p.manyToOne(Mailbox).primary().deleteRule('cascade').updateRule('no action'),
    ownerId: p.uuid(),
    contentHash: p.string().length(CONTENT_HASH_LENGTH).primary(),
    raw: p.blob().lazy(),
    sizeBytes: p.bigint('number'),
    envelope: p.json(),
    structure: p.json().lazy(),
    attachments: p.json(),
    html: p.text().nullable().lazy(),
    createdAt: p.datetime(),
  },
  checks: [
    { name: 'message_hash', expression: `content_hash ~ '^[0-9a-f]{64}$'` },
    { name: 'message_size', expression: 'size_bytes = octet_length(raw)' },
  ],
  policies: tenantPolicy('message', (a) => `owner_id = ${a}`),
});

/** A mailbox's counters (HIGHESTMODSEQ) and journal floor, beside the mail, keyed by mailbox. */
export const MailboxStateSchema = defineEntity({
  class: MailboxState,
  tableName: 'mailbox_state',
  properties: {
    // no ON UPDATE CASCADE: Citus refuses it on a key that includes the distribution column
    mailbox: () => p.oneToOne(Mailbox).primary().owner().deleteRule('cascade').updateRule('no action'),
    ownerId: p.uuid(),
    highestModseq: p.bigint('number'),
    journalFloor: p.bigint('number'),
  },
  checks: [
    {
      name: 'mailbox_state_modseq',
      expression: 'highest_modseq >= 0 and journal_floor >= 0 and journal_floor <= highest_modseq',
    },
  ],
  policies: tenantPolicy('mailbox_state', (a) => `owner_id = ${a}`),
});

/** The change journal: per mailbox, in modseq order; keyed by mailbox first like the email table. */
export const MailChangeSchema = defineEntity({
  class: MailChange,
  tableName: 'mail_change',
  properties: {
    mailbox: () => p.manyToOne(Mailbox).primary().deleteRule('cascade'),
    ownerId: p.uuid(),
    id: p.uuid().primary(),
    modseq: p.bigint('number'),
    kind: p.enum(CHANGE_KINDS),
    folderId: p.uuid(),
    uid: p.bigint('number').nullable(),
    emailId: p.uuid().nullable(),
    folderEvent: p.enum(FOLDER_EVENTS).nullable(),
    createdAt: p.datetime(),
  },
  indexes: [
    { name: 'mail_change_modseq_index', properties: ['mailbox', 'modseq'] },
    { name: 'mail_change_created_index', properties: ['createdAt'] },
  ],
  checks: [
    { name: 'mail_change_modseq', expression: 'modseq >= 1' },
    { name: 'mail_change_folder_event', expression: `(kind = 'folder') = (folder_event is not null)` },
    { name: 'mail_change_email', expression: `kind = 'folder' or (uid is not null and email_id is not null)` },
  ],
  policies: tenantPolicy('mail_change', (a) => `owner_id = ${a}`),
});
