import type { EntityManager } from '@mikro-orm/postgresql';
import { EmailAddress } from '../domain/email-address.js';
import { AccessDeniedError, ConflictError, DomainError, ValidationError } from '../domain/errors.js';
import { assertAcceptablePassword, type PasswordHasher } from '../domain/password-hasher.js';
import { User } from '../domain/user.js';
import { recordUserEvent } from './events/outbox.js';
import { findUserWithHash, loadUser } from './loading.js';
import type { OwnerReads } from './read-models.js';
import type { UnitOfWork } from './unit-of-work.js';
import { toUserView, type UserView } from './views.js';

const invalidCredentials = () => new AccessDeniedError('INVALID_CREDENTIALS', 'wrong email address or password');

/** Registering, authenticating and managing users. Each public method is one unit of work. */
export class UserService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly owners: OwnerReads,
  ) {}

  async register(input: { email: string; password: string; name?: string | null }): Promise<UserView> {
    const email = EmailAddress.parse(input?.email);
    assertAcceptablePassword(input?.password);
    User.checkName(input?.name ?? null);
    const passwordHash = await this.hasher.hash(input?.password);
    return this.run(async (em) => {
      const user = new User({ email, passwordHash, name: input?.name ?? null });
      em.persist(user);
      recordUserEvent(em, 'user.registered', user);
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
    return this.change(userId, (user) => user.suspend(), 'user.suspended');
  }

  async activate(userId: string): Promise<UserView> {
    return this.change(userId, (user) => user.activate(), 'user.activated');
  }

  /** Deletes the user with everything they own (domains, mailboxes, aliases, folders, email). */
  async delete(userId: string): Promise<void> {
    await this.run(async (em) => {
      const user = await loadUser(em, userId);
      em.remove(user);
      // its domains, mailboxes and email go by cascade: this one event stands for them all
      recordUserEvent(em, 'user.deleted', user);
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
    return this.run((em) => this.owners.ownersByDomainPattern(em, pattern), { readOnly: true });
  }

  /** Hashing happens outside any transaction; the swap only succeeds if the hash is still the one checked. */
  private async replaceHash(user: User, passwordHash: string): Promise<void> {
    await this.run(async (em) => {
      const fresh = await findUserWithHash(em, { id: user.id });
      if (!fresh || fresh.passwordHash !== user.passwordHash) {
        throw new ConflictError('CONCURRENT_UPDATE', 'the password was changed meanwhile; sign in again');
      }
      fresh.changePasswordHash(passwordHash);
      // sessions elsewhere may want to end; the hash itself never leaves the database
      recordUserEvent(em, 'user.password_changed', fresh);
    });
  }

  private async change(
    userId: string,
    verb: (user: User) => void,
    kind?: 'user.suspended' | 'user.activated',
  ): Promise<UserView> {
    return this.run(async (em: EntityManager) => {
      const user = await loadUser(em, userId);
      verb(user);
      if (kind) recordUserEvent(em, kind, user);
      return toUserView(user);
    });
  }
}
