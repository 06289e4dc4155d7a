import { defineEntity, p } from '@mikro-orm/core';
import { MAX_ADDRESS_OCTETS } from '../../../domain/email-address.js';
import { Email } from '../../../domain/email.js';
import { Folder, MAX_UID } from '../../../domain/folder.js';
import { MAX_KEYWORDS } from '../../../domain/imap-flags.js';
import { StoredMessage } from '../../../domain/stored-message.js';
import { MAX_THREAD_REFERENCES } from '../../../domain/thread.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { MESSAGE_LIMITS } from '../../../domain/message.js';
import { User } from '../../../domain/user.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * The message store, keyed by (mailbox, id): every lookup names its mailbox, so the table can be
 * partitioned or distributed by mailbox without changing a query.
 */
export const EmailSchema = defineEntity({
  class: Email,
  tableName: 'email',
  // hash-partitioned by mailbox: every query names its mailbox, so PostgreSQL reads one partition
  partitionBy: { type: 'hash', expression: 'mailbox_id', partitions: 16 },
  properties: {
    mailbox: () => p.manyToOne(Mailbox).primary().deleteRule('cascade'),
    id: p.uuid().primary(),
    // (mailbox_id, folder_id) -> folder (mailbox_id, id): mailbox_id is shared with `mailbox`, so the
    // key says "an email is in a folder of its own mailbox" (issue #19; it was a trigger)
    // (no update rule: Citus refuses ON UPDATE CASCADE on a key with the distribution column; the
    // index email_folder_page_index begins with both columns)
    folder: () =>
      p
        .manyToOne(Folder)
        .joinColumns('mailbox_id', 'folder_id')
        .foreignKeyName('email_folder_foreign')
        .updateRule('no action'),
    user: () => p.manyToOne(User).index('email_user_id_index').deleteRule('cascade'),
    // (mailbox_id, content_hash) -> message (mailbox_id, content_hash): a mailbox's stored messages
    // live with its mail (issue #19), and mailbox_id is shared with `mailbox` as for `folder`
    content: () =>
      p
        .manyToOne(StoredMessage)
        .joinColumns('mailbox_id', 'content_hash')
        .foreignKeyName('email_content_foreign')
        .index()
        .updateRule('no action'),
    uid: p.bigint('number'),
    modseq: p.bigint('number'),
    messageId: p.string().length(MESSAGE_LIMITS.headerBytes),
    // a row written by anything but delivery (a bulk load) starts a thread of its own
    threadId: p.uuid().defaultRaw('gen_random_uuid()'),
    threadKeys: p.array().defaultRaw(`'{}'`),
    subject: p.text(),
    fromAddress: p.string().length(MAX_ADDRESS_OCTETS),
    toAddresses: p.array(),
    ccAddresses: p.array(),
    body: p.text().lazy(),
    sizeBytes: p.integer(),
    seen: p.boolean(),
    flagged: p.boolean(),
    answered: p.boolean(),
    draft: p.boolean(),
    deleted: p.boolean().default(false),
    keywords: p.array().defaultRaw(`'{}'`),
    receivedAt: p.datetime(),
    createdAt: p.datetime(),
  },
  indexes: [
    // keyset pagination of a folder, newest first
    { name: 'email_folder_page_index', properties: ['mailbox', 'folder', 'receivedAt', 'id'] },
    // CONDSTORE / QRESYNC: what changed in a folder since a modseq
    { name: 'email_modseq_index', properties: ['mailbox', 'modseq'] },
    {
      name: 'email_keywords_index',
      expression: 'create index "email_keywords_index" on "email" using gin ("keywords")',
    },
    // a thread's emails in one query (the store's thread of an email)
    { name: 'email_thread_index', properties: ['mailbox', 'threadId'] },
    {
      // threading at delivery: the emails of a mailbox that share a reference or subject key
      name: 'email_thread_keys_index',
      expression: 'create index "email_thread_keys_index" on "email" using gin ("thread_keys")',
    },
    {
      // full-text search (the store's search): GIN over the search document of every email, on
      // every partition; the function is the migration's (email_search_document)
      name: 'email_search_index',
      expression:
        'create index "email_search_index" on "email" using gin (email_search_document(subject, from_address, to_addresses, cc_addresses, body))',
    },
  ],
  // a UID is one its folder's counter handed out (uid < uid_next): kept by the application, which
  // allocates UIDs under the folder row's lock (application/mail-counters.ts), no longer by a
  // trigger (Citus refuses triggers, and SQL cannot say it as a constraint: it compares two rows).
  // This key refuses a UID used twice in a folder.
  uniques: [{ name: 'email_folder_uid_unique', properties: ['mailbox', 'folder', 'uid'] }],
  checks: [
    { name: 'email_size', expression: 'size_bytes >= 0' },
    { name: 'email_uid', expression: `uid >= 1 and uid <= ${MAX_UID}` },
    { name: 'email_modseq', expression: 'modseq >= 1' },
    { name: 'email_keywords', expression: `cardinality(keywords) <= ${MAX_KEYWORDS}` },
    // the reference ids and one subject key
    { name: 'email_thread_keys', expression: `cardinality(thread_keys) <= ${MAX_THREAD_REFERENCES + 1}` },
  ],
  policies: tenantPolicy('email', (a) => `user_id = ${a}`),
});
