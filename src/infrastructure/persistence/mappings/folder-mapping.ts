import { defineEntity, p } from '@mikro-orm/core';
import { Folder, FOLDER_ROLES, MAX_FOLDER_PATH_LENGTH, MAX_UID } from '../../../domain/folder.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { tenantPolicy } from './tenant-policy.js';

export const FolderSchema = defineEntity({
  class: Folder,
  tableName: 'folder',
  properties: {
    // keyed by (mailbox, id), like email: Citus needs the distribution column in every unique key,
    // and email's key to its folder then holds it in its own mailbox (issue #19)
    mailbox: () => p.manyToOne(Mailbox).primary().deleteRule('cascade'),
    id: p.uuid().primary(),
    ownerId: p.uuid(),
    path: p.string().length(MAX_FOLDER_PATH_LENGTH),
    role: p.enum(FOLDER_ROLES).nullable(),
    createdAt: p.datetime(),
    version: p.integer().version(),
    uidValidity: p.bigint('number'),
    uidNext: p.bigint('number').default(1),
    subscribed: p.boolean().default(true),
    // kept by the application in the unit of work that writes the email (application/mail-counters.ts);
    // no trigger: Citus refuses any on a distributed table
    messageCount: p.bigint('number').default(0),
    unseenCount: p.bigint('number').default(0),
    sizeBytes: p.bigint('number').default(0),
  },
  checks: [
    { name: 'folder_uid_validity', expression: `uid_validity >= 1 and uid_validity <= ${MAX_UID}` },
    { name: 'folder_uid_next', expression: `uid_next >= 1 and uid_next <= ${MAX_UID + 1}` },
    {
      name: 'folder_counts',
      expression: 'message_count >= 0 and unseen_count >= 0 and unseen_count <= message_count and size_bytes >= 0',
    },
  ],
  uniques: [
    {
      name: 'folder_mailbox_path_unique',
      expression: 'create unique index "folder_mailbox_path_unique" on "folder" ("mailbox_id", lower("path"))',
    },
    { name: 'folder_mailbox_role_unique', properties: ['mailbox', 'role'] },
  ],
  policies: tenantPolicy('folder', (a) => `owner_id = ${a}`),
});
