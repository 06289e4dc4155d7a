import { defineEntity, p } from '@mikro-orm/core';
import { Address, ADDRESS_KINDS } from '../../../domain/address.js';
import { Alias, MAX_ALIAS_DESTINATIONS } from '../../../domain/alias.js';
import { Domain } from '../../../domain/domain.js';
import { MAX_DOMAIN_LENGTH } from '../../../domain/domain-name.js';
import { Folder } from '../../../domain/folder.js';
import { Mailbox, MAILBOX_STATUSES } from '../../../domain/mailbox.js';
import { MailboxUsage } from '../../../domain/mailbox-usage.js';
import { caseFoldedSql } from '../case-fold-sql.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * Mailboxes and aliases share one table (single-table inheritance on `kind`), so one unique index
 * makes an address unique across both. Columns of one kind are null on the other; checks say which.
 */
export const AddressSchema = defineEntity({
  class: Address,
  tableName: 'address',
  abstract: true,
  discriminatorColumn: 'kind',
  properties: {
    id: p.uuid().primary(),
    kind: p.enum(ADDRESS_KINDS),
    // no domain limit: room for the longest address (254 octets) and catch-all (`@` and 253)
    address: p.string().length(255).unique('address_address_unique'),
    domain: () => p.manyToOne(Domain).index('address_domain_id_index').deleteRule('cascade'),
    ownerId: p.uuid(),
    domainName: p.string().length(MAX_DOMAIN_LENGTH),
    createdAt: p.datetime(),
  },
  // what the mailbox rows' (mailbox_id, owner_id) refers to (owner-keys.ts)
  // and what a credential's (mailbox_id, mailbox_kind) refers to (owner-keys.ts)
  uniques: [
    { name: 'address_id_owner_unique', properties: ['id', 'ownerId'] },
    { name: 'address_id_kind_unique', properties: ['id', 'kind'] },
  ],
  checks: [
    // stored case-folded (EmailAddress), so the unique key compares addresses as the domain does
    // an address belongs to its domain (invariant 1), whoever writes the row: the domain part is the
    // stored domain name, which the key (domain_id, domain_name) holds to the domain's (owner-keys.ts)
    { name: 'address_in_domain', expression: `split_part(address, '@', 2) = domain_name` },
    { name: 'address_normalised', expression: `${caseFoldedSql('address')} and address ~ '^[^@]*@[^@]+$'` },
    {
      // the quota and the bytes used are the mailbox's usage row (mailbox-usage-mapping.ts)
      name: 'address_mailbox_columns',
      expression: `kind <> 'mailbox' or (status is not null and address !~ '^@')`,
    },
    {
      name: 'address_alias_columns',
      expression: `kind <> 'alias' or (cardinality(destinations) >= 1 and cardinality(destinations) <= ${MAX_ALIAS_DESTINATIONS})`,
    },
  ],
  policies: tenantPolicy('address', (a) => `owner_id = ${a}`),
});

export const MailboxSchema = defineEntity({
  class: Mailbox,
  extends: AddressSchema,
  discriminatorValue: 'mailbox',
  properties: {
    // loaded with the mailbox (every verb that checks the quota reads it), never written by it
    usage: () => p.oneToOne(MailboxUsage).mappedBy('mailbox').eager(),
    status: p.enum(MAILBOX_STATUSES),
    version: p.integer().version(),
    folders: () => p.oneToMany(Folder).mappedBy('mailbox').orphanRemoval(),
  },
});

export const AliasSchema = defineEntity({
  class: Alias,
  extends: AddressSchema,
  discriminatorValue: 'alias',
  properties: {
    destinations: p.array(),
    // the same column as the mailbox's: the later of two overlapping edits gets CONCURRENT_UPDATE
    version: p.integer().version(),
  },
});
