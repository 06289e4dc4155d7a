/** Owners by domain suffix: users with all their domains and those domains' mailboxes. */
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type DomainFields,
  domainView,
  type MailboxFields,
  type MailboxView,
  mailboxView,
  type UserFields,
  type UserView,
  userView,
} from '../../../application/views.js';
import { Domain } from '../../../domain/domain.js';
import { User } from '../../../domain/user.js';
import { CompiledQuery, type Placeholders } from './compiled-query.js';

/**
 * The owners' tree in one query of joins (kept SQL: built once), built into views row by row. A read that changes
 * nothing: hydrating 100 users with 200 domains and 400 mailboxes into managed entities (or even
 * having MikroORM map and merge the joined rows) cost several times the query itself.
 */
export async function ownersByDomainPattern(em: EntityManager, pattern: string): Promise<UserView[]> {
  const rows = await OWNERS.all<OwnerRow>(em, { pattern });
  // the root's columns arrive mapped to its properties; the joined ones as PostgreSQL sent them
  const date = (value: unknown) => (value == null ? null : em.getPlatform().parseDate(value as string));
  const users: { user: OwnerRow; domains: { domain: DomainFields; mailboxes: MailboxView[] }[] }[] = [];
  for (const r of rows) {
    if (users.at(-1)?.user.id !== r.id) users.push({ user: r, domains: [] });
    const { domains } = users.at(-1)!;
    if (domains.at(-1)?.domain.id !== r.d_id) {
      domains.push({
        domain: {
          id: r.d_id,
          name: r.d_name,
          owner: { id: r.d_owner },
          verificationToken: r.d_verificationToken,
          verified: r.d_verified,
          verifiedAt: date(r.d_verifiedAt),
          status: r.d_status as DomainFields['status'],
          maxMailboxes: r.d_maxMailboxes,
          maxAliases: r.d_maxAliases,
          defaultQuotaBytes: Number(r.d_defaultQuotaBytes),
          maxQuotaBytes: Number(r.d_maxQuotaBytes),
          createdAt: date(r.d_createdAt)!,
        },
        mailboxes: [],
      });
    }
    if (r.m_id === null) continue; // a domain without mailboxes
    domains.at(-1)!.mailboxes.push(
      mailboxView({
        id: r.m_id,
        address: r.m_address,
        domain: { id: r.m_domain },
        quotaBytes: Number(r.m_quotaBytes),
        usedBytes: Number(r.m_usedBytes),
        status: r.m_status as MailboxFields['status'],
        createdAt: date(r.m_createdAt)!,
      }),
    );
  }
  return users.map(({ user, domains }) =>
    userView(
      user,
      domains.map((d) => domainView(d.domain, d.mailboxes)),
    ),
  );
}

/** The owners' query, built once per ORM (compiled-query.ts): only the pattern changes per call. */
const OWNERS = new CompiledQuery(User, (em, args: Placeholders<{ pattern: string }>) =>
  em
    .createQueryBuilder(User, 'u')
    .join('u.domains', 'd')
    .leftJoin('d.mailboxes', 'm')
    .leftJoin('m.usage', 'mu')
    .select([
      ...USER_FIELDS.map((f) => `u.${f}` as const),
      ...DOMAIN_FIELDS.map((f) => `d.${f} as d_${f}` as const),
      ...MAILBOX_FIELDS.map((f) => `m.${f} as m_${f}` as const),
      ...USAGE_FIELDS.map((f) => `mu.${f} as m_${f}` as const),
    ])
    .where({
      id: {
        $in: em
          .createQueryBuilder(Domain, 's')
          .select('s.owner')
          .where({ name: { $like: args.text('pattern') } })
          .getNativeQuery(),
      },
    })
    .orderBy([{ email: 'asc' }, { 'd.id': 'asc' }, { 'm.id': 'asc' }]),
);

const USER_FIELDS = ['id', 'email', 'name', 'status', 'createdAt', 'updatedAt'] as const;
const DOMAIN_FIELDS = [
  'id',
  'name',
  'owner',
  'verificationToken',
  'verified',
  'verifiedAt',
  'status',
  'maxMailboxes',
  'maxAliases',
  'defaultQuotaBytes',
  'maxQuotaBytes',
  'createdAt',
] as const;
const MAILBOX_FIELDS = ['id', 'address', 'domain', 'status', 'createdAt'] as const;
/** A mailbox's quota and bytes used: its usage row (mailbox-usage.ts). */
const USAGE_FIELDS = ['quotaBytes', 'usedBytes'] as const;

/** One row of the owners' query: text, numbers and booleans as PostgreSQL sent them. */
type OwnerRow = UserFields & {
  d_id: string;
  d_name: string;
  d_owner: string;
  d_verificationToken: string;
  d_verified: boolean;
  d_verifiedAt: string | null;
  d_status: string;
  d_maxMailboxes: number;
  d_maxAliases: number;
  d_defaultQuotaBytes: string;
  d_maxQuotaBytes: string;
  d_createdAt: string;
  m_id: string | null;
  m_address: string;
  m_domain: string;
  m_quotaBytes: string;
  m_usedBytes: string;
  m_status: string;
  m_createdAt: string;
};
