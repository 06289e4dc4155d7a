import { defineEntity, p } from '@mikro-orm/core';
import {
  AppPassword,
  MAX_APP_PASSWORD_NAME_LENGTH,
  MAX_REMOTE_ADDRESS_LENGTH,
  SELECTOR_LENGTH,
  SELECTOR_PATTERN_SQL,
} from '../../../domain/app-password.js';
import { MAX_ADDRESS_OCTETS } from '../../../domain/email-address.js';
import { LoginThrottle } from '../../../domain/login-throttle.js';
import { MAIL_PROTOCOLS } from '../../../domain/mail-protocol.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { MailboxPassword } from '../../../domain/mailbox-password.js';
import { tenantPolicy } from './tenant-policy.js';

/**
 * A credential belongs to a mailbox, never to an alias (both live in `address`): the row names the
 * kind of address it belongs to in a column generated as 'mailbox', and the key (mailbox_id,
 * mailbox_kind) -> address (id, kind) (owner-keys.ts) refuses any other. A constraint, not a
 * trigger, so Citus accepts the table (issue #19).
 */
const mailboxKind = () => p.text().generated(`('mailbox'::text) stored`);

/** An argon2id PHC string: the views hand it to Dovecot with an `{ARGON2ID}` prefix. */
const phcHash = (column: string) =>
  `${column} ~ '^\\$argon2id\\$v=19\\$m=[0-9]+,t=[0-9]+,p=[0-9]+\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+$'`;

export const MailboxPasswordSchema = defineEntity({
  class: MailboxPassword,
  tableName: 'mailbox_password',
  properties: {
    id: p.uuid().primary(),
    mailbox: () => p.manyToOne(Mailbox).unique('mailbox_password_mailbox_unique').deleteRule('cascade'),
    ownerId: p.uuid(),
    mailboxKind: mailboxKind(),
    hash: p.text().hidden().lazy(),
    changedAt: p.datetime(),
    version: p.integer().version(),
  },
  checks: [{ name: 'mailbox_password_hash', expression: phcHash('hash') }],
  policies: tenantPolicy('mailbox_password', (a) => `owner_id = ${a}`),
});

export const AppPasswordSchema = defineEntity({
  class: AppPassword,
  tableName: 'app_password',
  properties: {
    id: p.uuid().primary(),
    mailbox: () => p.manyToOne(Mailbox).index('app_password_mailbox_id_index').deleteRule('cascade'),
    ownerId: p.uuid(),
    mailboxKind: mailboxKind(),
    name: p.string().length(MAX_APP_PASSWORD_NAME_LENGTH),
    selector: p.string().length(SELECTOR_LENGTH).unique('app_password_selector_unique'),
    hash: p.text().hidden().lazy(),
    protocols: p.array(),
    expiresAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    lastUsedFrom: p.string().length(MAX_REMOTE_ADDRESS_LENGTH).nullable(),
    createdAt: p.datetime(),
  },
  uniques: [
    {
      // a mailbox's live application passwords have distinct names; revoked ones keep theirs
      name: 'app_password_live_name_unique',
      expression:
        'create unique index "app_password_live_name_unique" on "app_password" ("mailbox_id", lower("name")) where "revoked_at" is null',
    },
  ],
  checks: [
    { name: 'app_password_hash', expression: phcHash('hash') },
    { name: 'app_password_selector', expression: `selector ~ '${SELECTOR_PATTERN_SQL}'` },
    {
      name: 'app_password_name',
      expression: `name = btrim(name) and name <> ''`,
    },
    {
      name: 'app_password_protocols',
      expression: `cardinality(protocols) >= 1 and protocols <@ array[${MAIL_PROTOCOLS.map((p) => `'${p}'`).join(', ')}]::text[]`,
    },
    { name: 'app_password_expiry', expression: 'expires_at is null or expires_at > created_at' },
    { name: 'app_password_revoked', expression: 'revoked_at is null or revoked_at >= created_at' },
    { name: 'app_password_last_use', expression: 'last_used_from is null or last_used_at is not null' },
  ],
  policies: tenantPolicy('app_password', (a) => `owner_id = ${a}`),
});

/**
 * Not a tenant's data: attempts are counted per address tried, known or not, by the system's
 * login path, so this table has no tenant policy.
 */
export const LoginThrottleSchema = defineEntity({
  class: LoginThrottle,
  tableName: 'login_throttle',
  properties: {
    address: p.string().length(MAX_ADDRESS_OCTETS).primary(),
    // the oldest ended windows are pruned by later attempts (application/login-throttle.ts)
    windowStartedAt: p.datetime().index('login_throttle_window_started_at_index'),
    attempts: p.integer(),
  },
  checks: [{ name: 'login_throttle_attempts', expression: 'attempts >= 1' }],
});
