import type { CompositeForeignKey } from '../../database/upstream/composite-foreign-keys.js';

/**
 * Every tenant row carries its owner (`owner_id`, on `email` the `user_id`), so the tenant policies
 * compare a column of the row itself with the acting user: no subquery, which Citus refuses in a
 * policy (issue #19). These composite keys keep that owner exact: an address's owner is its
 * domain's, and a row of a mailbox has the mailbox's owner. The domain sets the owner when it
 * constructs a row; the keys refuse any other.
 *
 * On the directory (reference tables on Citus) a change of a domain's owner cascades. On the tables
 * distributed by mailbox it cannot: Citus refuses ON UPDATE CASCADE (and SET NULL / SET DEFAULT) on a
 * foreign key that includes the distribution column. There an owner change is refused while the
 * mailbox holds rows — the domain has no verb that changes an owner, so none is lost.
 * (Mapped through `upstream/composite-foreign-keys.ts`: a relation cannot reference a unique key.)
 */
const ofMailbox = (table: string, owner = 'owner_id'): CompositeForeignKey => ({
  table,
  name: `${table}_mailbox_owner_foreign`,
  columns: ['mailbox_id', owner],
  referencedTable: 'address',
  referencedColumns: ['id', 'owner_id'],
  updateRule: 'no action',
  deleteRule: 'cascade',
});

/**
 * Not an owner: a credential belongs to a mailbox, not an alias. Its `mailbox_kind` is generated as
 * 'mailbox' (credential-mapping.ts), so the key finds only a mailbox's row (replaces the triggers
 * `*_of_mailbox`, which Citus refuses). No update rule: a generated column cannot cascade, and an
 * address never changes kind.
 */
const ofMailboxKind = (table: string): CompositeForeignKey => ({
  table,
  name: `${table}_mailbox_kind_foreign`,
  columns: ['mailbox_id', 'mailbox_kind'],
  referencedTable: 'address',
  referencedColumns: ['id', 'kind'],
  updateRule: 'no action',
  deleteRule: 'cascade',
});

export const OWNER_FOREIGN_KEYS: readonly CompositeForeignKey[] = [
  {
    table: 'address',
    name: 'address_domain_owner_foreign',
    columns: ['domain_id', 'owner_id'],
    referencedTable: 'domain',
    referencedColumns: ['id', 'owner_id'],
    updateRule: 'cascade',
    deleteRule: 'cascade',
  },
  {
    // not an owner: an address's domain part is its domain's name (replaces the trigger address_in_domain)
    table: 'address',
    name: 'address_domain_name_foreign',
    columns: ['domain_id', 'domain_name'],
    referencedTable: 'domain',
    referencedColumns: ['id', 'name'],
    updateRule: 'cascade',
    deleteRule: 'cascade',
  },
  { ...ofMailbox('mailbox_password'), updateRule: 'cascade' },
  ofMailboxKind('mailbox_password'),
  ofMailboxKind('app_password'),
  { ...ofMailbox('app_password'), updateRule: 'cascade' },
  ofMailbox('folder'),
  ofMailbox('mailbox_state'),
  ofMailbox('mailbox_usage'),
  ofMailbox('mail_change'),
  ofMailbox('delivery_receipt'),
  ofMailbox('message'),
  ofMailbox('email', 'user_id'),
];
