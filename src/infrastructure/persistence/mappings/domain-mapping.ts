import { defineEntity, p } from '@mikro-orm/core';
import { Alias } from '../../../domain/alias.js';
import { Domain, DOMAIN_STATUSES } from '../../../domain/domain.js';
import { MAX_DOMAIN_LENGTH } from '../../../domain/domain-name.js';
import { Mailbox } from '../../../domain/mailbox.js';
import { User } from '../../../domain/user.js';
import { tenantPolicy } from './tenant-policy.js';

export const DomainSchema = defineEntity({
  class: Domain,
  tableName: 'domain',
  properties: {
    id: p.uuid().primary(),
    // several users may claim a name; it is unique among verified claims and per owner (see Domain)
    name: p.string().length(MAX_DOMAIN_LENGTH),
    // the name as people read it, for sorting: computed by the database (idn_to_unicode decodes the
    // xn-- labels), so no writer can make it disagree with the name; ICU's root collation puts
    // bücher beside buch
    unicodeName: p.string().length(MAX_DOMAIN_LENGTH).collation('und-x-icu').generated('(idn_to_unicode(name)) stored'),
    owner: () => p.manyToOne(User).index('domain_owner_id_index').deleteRule('cascade'),
    // no domain limit: room for tokens longer than today's 32 hex digits
    verificationToken: p.string().length(64).unique('domain_verification_token_unique'),
    verified: p.boolean(),
    verifiedAt: p.datetime().nullable(),
    status: p.enum(DOMAIN_STATUSES),
    maxMailboxes: p.integer(),
    maxAliases: p.integer(),
    defaultQuotaBytes: p.bigint('number'),
    maxQuotaBytes: p.bigint('number'),
    createdAt: p.datetime(),
    version: p.integer().version(),
    mailboxes: () => p.oneToMany(Mailbox).mappedBy('domain'),
    aliases: () => p.oneToMany(Alias).mappedBy('domain'),
  },
  // the studio's list of domains, in the order people read them, paged by (unicode_name, id)
  indexes: [{ name: 'domain_unicode_name_id_index', properties: ['unicodeName', 'id'] }],
  uniques: [
    { name: 'domain_verified_name_unique', properties: ['name'], where: 'verified' },
    // name first: it also serves the lookups of every claim of a name
    { name: 'domain_name_owner_unique', properties: ['name', 'owner'] },
    // what the addresses' (domain_id, owner_id) refers to (owner-keys.ts)
    { name: 'domain_id_owner_unique', properties: ['id', 'owner'] },
    // what the addresses' (domain_id, domain_name) refers to (owner-keys.ts)
    { name: 'domain_id_name_unique', properties: ['id', 'name'] },
  ],
  checks: [
    { name: 'domain_name_normalised', expression: `name = lower(name) and name ~ '^[a-z0-9-]+(\\.[a-z0-9-]+)+$'` },
    { name: 'domain_verified_at', expression: 'verified = (verified_at is not null)' },
    {
      name: 'domain_limits',
      expression:
        'max_mailboxes >= 0 and max_aliases >= 0 and default_quota_bytes >= 0 and max_quota_bytes >= 0 ' +
        'and (max_quota_bytes = 0 or (default_quota_bytes > 0 and default_quota_bytes <= max_quota_bytes))',
    },
  ],
  policies: tenantPolicy('domain', (a) => `owner_id = ${a}`),
});
