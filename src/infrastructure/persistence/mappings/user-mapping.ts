import { defineEntity, p } from '@mikro-orm/core';
import { Domain } from '../../../domain/domain.js';
import { MAX_ADDRESS_OCTETS } from '../../../domain/email-address.js';
import { MAX_USER_NAME_LENGTH, User, USER_STATUSES } from '../../../domain/user.js';
import { caseFoldedSql } from '../case-fold-sql.js';
import { tenantPolicy } from './tenant-policy.js';

export const UserSchema = defineEntity({
  class: User,
  tableName: 'user',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(MAX_ADDRESS_OCTETS).unique('user_email_unique'),
    passwordHash: p.text().hidden().lazy(),
    name: p.string().length(MAX_USER_NAME_LENGTH).nullable(),
    status: p.enum(USER_STATUSES),
    createdAt: p.datetime(),
    updatedAt: p.datetime().onUpdate(() => new Date()),
    version: p.integer().version(),
    domains: () => p.oneToMany(Domain).mappedBy('owner'),
  },
  checks: [
    // the application always stores the case-folded form (EmailAddress); so must anyone else, and
    // so the unique key compares logins as the domain does
    { name: 'user_email_normalised', expression: `${caseFoldedSql('email')} and email ~ '^[^@]+@[^@]+$'` },
  ],
  policies: tenantPolicy('user', (a) => `id = ${a}`),
});
