import { defineEntity, p } from '@mikro-orm/core';
import { Domain } from '../../../domain/domain.js';
import { User } from '../../../domain/user.js';
import { tenantPolicy } from './tenant-policy.js';

export const UserSchema = defineEntity({
  class: User,
  tableName: 'user',
  properties: {
    id: p.uuid().primary(),
    email: p.string().length(254).unique('user_email_unique'),
    passwordHash: p.text().hidden().lazy(),
    name: p.string().length(200).nullable(),
    status: p.enum(['active', 'suspended']),
    createdAt: p.datetime(),
    updatedAt: p.datetime().onUpdate(() => new Date()),
    version: p.integer().version(),
    domains: () => p.oneToMany(Domain).mappedBy('owner'),
  },
  checks: [
    // the application always stores the normalised form; so must anyone else
    { name: 'user_email_normalised', expression: `email = lower(email) and email ~ '^[^@]+@[^@]+$'` },
  ],
  policies: tenantPolicy('user', (a) => `id = ${a}`),
});
