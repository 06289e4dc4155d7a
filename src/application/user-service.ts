import type { EntityManager } from '@mikro-orm/postgresql';
import { EmailAddress } from '../domain/email-address.js';
import { AccessDeniedError, ConflictError, DomainError, ValidationError } from '../domain/errors.js';
import { assertAcceptablePassword, type PasswordHasher } from '../domain/password-hasher.js';
import { Domain } from '../domain/domain.js';
import { User } from '../domain/user.js';
import { findUserWithHash, loadUser } from './loading.js';
import type { UnitOfWork } from './unit-of-work.js';
import {
  type DomainFields,
  domainView,
  type MailboxFields,
  type MailboxView,
  mailboxView,
  toUserView,
  type UserFields,
  type UserView,
  userView,
} from './views.js';

const invalidCredentials = () => new AccessDeniedError('INVALID_CREDENTIALS', 'wrong email address or password');

/** Registering, authenticating and managing users. Each public method is one unit of work. */
export class UserService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly hasher: PasswordHasher,
  ) {}

  async register(input: { email: string; password: string; name?: string | null }): Promise<UserView> {
    const email = EmailAddress.parse(input?.email);
    assertAcceptablePassword(input?.password);
    User.checkName(input?.name ?? null);
    const passwordHash = await this.hasher.hash(input?.password);
    return this.run(async (em) => {
      const user = new User({ email, passwordHash, name: input?.name ?? null });
      em.persist(user);
      return toUserView(user);
    });
  }

  /**
   * Checks a password. Unknown addresses cost the same hashing work as known ones; a hash made
   * with older parameters is replaced by a current one on success.
   */
  async authenticate(input: { email: string; password: string }): Promise<UserView> {
    let email: EmailAddress | undefined;
    try {
      email = EmailAddress.parse(input?.email);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    const password = typeof input?.password === 'string' ? input?.password : '';
    const found = email ? await this.run((em) => findUserWithHash(em, { email: email.value })) : null;
    if (!found) {
      await this.hasher.verifyAgainstDummy(password);
      throw invalidCredentials();
    }
    if (!(await this.hasher.verify(found.passwordHash, password))) throw invalidCredentials();
    found.assertActive();
    if (this.hasher.needsRehash(found.passwordHash)) await this.replaceHash(found, await this.hasher.hash(password));
    return toUserView(found);
  }

  async changePassword(userId: string, input: { current: string; next: string }): Promise<void> {
    assertAcceptablePassword(input?.next);
    const user = await this.run((em) => loadUser(em, userId, 'user', true));
    if (!(await this.hasher.verify(user.passwordHash, input?.current))) throw invalidCredentials();
    await this.replaceHash(user, await this.hasher.hash(input?.next));
  }

  async get(userId: string, options: { withDomains?: boolean } = {}): Promise<UserView> {
    return this.run(
      async (em) => {
        const user = await loadUser(em, userId);
        if (options.withDomains) await em.populate(user, ['domains', 'domains.mailboxes']);
        return toUserView(user);
      },
      { readOnly: true },
    );
  }

  async findByEmail(address: string): Promise<UserView | null> {
    const email = EmailAddress.parse(address);
    return this.run(
      async (em) => {
        const user = await em.findOne(User, { email: email.value });
        return user ? toUserView(user) : null;
      },
      { readOnly: true },
    );
  }

  async rename(userId: string, name: string | null): Promise<UserView> {
    return this.change(userId, (user) => user.rename(name));
  }

  async suspend(userId: string): Promise<UserView> {
    return this.change(userId, (user) => user.suspend());
  }

  async activate(userId: string): Promise<UserView> {
    return this.change(userId, (user) => user.activate());
  }

  /** Deletes the user with everything they own (domains, mailboxes, aliases, folders, email). */
  async delete(userId: string): Promise<void> {
    await this.run(async (em) => {
      em.remove(await loadUser(em, userId));
    });
  }

  /**
   * Users owning a domain whose name ends with `suffix`, with all their domains and those domains'
   * mailboxes. One query, however many users match.
   */
  async findOwnersByDomainSuffix(suffix: string): Promise<UserView[]> {
    if (typeof suffix !== 'string') throw new ValidationError('INVALID_DOMAIN_NAME', 'a domain suffix must be text');
    // stored names are ASCII: text PostgreSQL cannot take (NUL, lone surrogates) ends none of them
    if (suffix.includes('\0') || !suffix.isWellFormed()) return [];
    const pattern = `%${suffix
      .trim()
      .toLowerCase()
      .replace(/[\\%_]/g, (c) => `\\${c}`)}`;
    return this.run((em) => ownersByDomainPattern(em, pattern), { readOnly: true });
  }

  /** Hashing happens outside any transaction; the swap only succeeds if the hash is still the one checked. */
  private async replaceHash(user: User, passwordHash: string): Promise<void> {
    await this.run(async (em) => {
      const fresh = await findUserWithHash(em, { id: user.id });
      if (!fresh || fresh.passwordHash !== user.passwordHash) {
        throw new ConflictError('CONCURRENT_UPDATE', 'the password was changed meanwhile; sign in again');
      }
      fresh.changePasswordHash(passwordHash);
    });
  }

  private async change(userId: string, verb: (user: User) => void): Promise<UserView> {
    return this.run(async (em: EntityManager) => {
      const user = await loadUser(em, userId);
      verb(user);
      return toUserView(user);
    });
  }
}

/**
 * The owners' tree in one query of joins, built into views row by row. A read that changes
 * nothing: hydrating 100 users with 200 domains and 400 mailboxes into managed entities (or even
 * having MikroORM map and merge the joined rows) cost several times the query itself.
 */
async function ownersByDomainPattern(em: EntityManager, pattern: string): Promise<UserView[]> {
  const owners = em
    .createQueryBuilder(Domain, 's')
    .select('s.owner')
    .where({ name: { $like: pattern } });
  const rows = await em
    .createQueryBuilder(User, 'u')
    .join('u.domains', 'd')
    .leftJoin('d.mailboxes', 'm')
    .select([
      ...USER_FIELDS.map((f) => `u.${f}` as const),
      ...DOMAIN_FIELDS.map((f) => `d.${f} as d_${f}` as const),
      ...MAILBOX_FIELDS.map((f) => `m.${f} as m_${f}` as const),
    ])
    .where({ id: { $in: owners.getNativeQuery() } })
    .orderBy([{ email: 'asc' }, { 'd.id': 'asc' }, { 'm.id': 'asc' }])
    .execute<OwnerRow[]>('all');
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
const MAILBOX_FIELDS = ['id', 'address', 'domain', 'quotaBytes', 'usedBytes', 'status', 'createdAt'] as const;

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
