import { AppPassword } from '../domain/app-password.js';
import { EmailAddress } from '../domain/email-address.js';
import {
  AccessDeniedError,
  ConflictError,
  DomainError,
  isDomainError,
  NotFoundError,
  ValidationError,
} from '../domain/errors.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy } from '../domain/login-throttle.js';
import { isMailProtocol, type MailProtocol } from '../domain/mail-protocol.js';
import { Mailbox } from '../domain/mailbox.js';
import { MailboxPassword } from '../domain/mailbox-password.js';
import { assertAcceptablePassword, type PasswordHasher } from '../domain/password-hasher.js';
import {
  type AppPasswordView,
  type CreatedAppPassword,
  type MailboxLogin,
  toAppPasswordView,
} from './credential-views.js';
import { checkId, loadActor, loadOwnedMailbox, readScope, type ReadScope } from './loading.js';
import { recordUserEvent } from './events/outbox.js';
import { clearLoginSlots, takeLoginSlot } from './login-throttle.js';
import type { UnitOfWork } from './unit-of-work.js';
import { toMailboxView } from './views.js';

const invalidCredentials = () => new AccessDeniedError('INVALID_CREDENTIALS', 'wrong address or password');
const throttled = (policy: LoginThrottlePolicy) =>
  new AccessDeniedError(
    'LOGIN_THROTTLED',
    `too many failed logins for this address; try again within ${Math.ceil(policy.windowSeconds / 60)} minutes`,
  );

/** The credential a login presented, as loaded (outside any unit of work once loaded). */
type Candidate = { mailbox: Mailbox; credential: MailboxPassword | AppPassword };

/**
 * Mailbox credentials: the password the domain owner sets, application passwords, and the login
 * that checks them (for IMAP, POP3 and SMTP submission servers of our own; Dovecot reads the same
 * credentials through the published lookups). Each public method is one unit of work, except
 * `authenticate`, which keeps hashing outside transactions (see there).
 */
export class MailboxCredentialService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  /**
   * Sets (or resets) a mailbox's password; only the owner of its domain may. The mailbox row is
   * locked, so two concurrent resets leave one password, never an error or two rows.
   */
  async setPassword(actorId: string, mailboxId: string, password: string): Promise<void> {
    assertAcceptablePassword(password);
    // a login tells the two kinds apart by shape: a password shaped like an application password
    // would be looked up as one and never match
    if (AppPassword.selectorOf(password) !== null) {
      throw new ValidationError(
        'INVALID_PASSWORD',
        'a mailbox password may not have the form of an application password',
      );
    }
    const hash = await this.hasher.hash(password);
    await this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, true);
      const existing = await em.findOne(MailboxPassword, { mailbox }, { populate: ['hash'] });
      if (existing) existing.replace(hash);
      else em.persist(new MailboxPassword({ mailbox, hash }));
    });
  }

  /** A new application password; its secret is in the result and nowhere else, ever. */
  async createAppPassword(
    actorId: string,
    mailboxId: string,
    input: { name: string; protocols: MailProtocol[]; expiresAt?: Date | null },
  ): Promise<CreatedAppPassword> {
    AppPassword.checkName(input?.name);
    const { selector, secret } = AppPassword.generateSecret();
    const hash = await this.hasher.hash(secret);
    return this.run(async (em) => {
      // locked: names of live application passwords are checked against what the last one committed
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, true);
      const appPassword = new AppPassword({
        mailbox,
        name: input.name,
        selector,
        hash,
        protocols: input?.protocols,
        expiresAt: input?.expiresAt ?? null,
      });
      const clash = await em.findOne(AppPassword, {
        mailbox,
        revokedAt: null,
        name: { $ilike: appPassword.name.replace(/[\\%_]/g, (c) => `\\${c}`) },
      });
      if (clash) {
        throw new ConflictError(
          'APP_PASSWORD_NAME_TAKEN',
          `${mailbox.address} already has an application password named ${appPassword.name}`,
        );
      }
      em.persist(appPassword);
      return { appPassword: toAppPasswordView(appPassword), secret };
    });
  }

  async listAppPasswords(actorId: string, mailboxId: string): Promise<AppPasswordView[]> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      const all = await em.find(AppPassword, { mailbox }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return all.map(toAppPasswordView);
    }, this.reads(actorId));
  }

  /** Revoked at once for our own logins and the published passdb; revoking twice changes nothing. */
  async revokeAppPassword(actorId: string, mailboxId: string, appPasswordId: string): Promise<AppPasswordView> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      const appPassword = await em.findOne(AppPassword, {
        id: checkId(appPasswordId, 'application password'),
        mailbox,
      });
      if (!appPassword) throw new NotFoundError('application password');
      appPassword.revoke();
      return toAppPasswordView(appPassword);
    });
  }

  /**
   * A mailbox login (IMAP, POP3, SMTP submission). The secret is the mailbox password or one of its
   * application passwords (told apart by shape: `ap-<selector>-…`), and exactly one hash is
   * checked. Refusals: INVALID_CREDENTIALS for an unknown address, a wrong secret, and a revoked,
   * expired or out-of-scope application password alike (a client can do nothing different about
   * them, and a guesser learns nothing); LOGIN_THROTTLED past the limit of attempts; and, only once
   * the secret is right, MAILBOX_SUSPENDED, DOMAIN_NOT_VERIFIED, DOMAIN_SUSPENDED, USER_SUSPENDED.
   *
   * Three steps, so no transaction stays open while argon2 runs: a unit of work takes an attempt
   * slot (committed, whatever follows) and loads the credential; the hash is checked; on success a
   * second one closes the throttle window and records the use. An outdated hash is then replaced
   * in a unit of work of its own, best effort (see `rehash`).
   */
  async authenticate(input: {
    address: string;
    secret: string;
    protocol: MailProtocol;
    remoteAddress?: string | null;
  }): Promise<MailboxLogin> {
    if (!isMailProtocol(input?.protocol)) throw new ValidationError('INVALID_PROTOCOL', 'unknown protocol');
    const protocol = input.protocol;
    const secret = typeof input?.secret === 'string' ? input.secret : '';
    const address = parseOrNull(input?.address);
    const selector = AppPassword.selectorOf(secret);
    const loaded = address
      ? await this.run(async (em) => {
          const slot = await takeLoginSlot(em, address, this.throttle);
          if (!slot.admitted) {
            // once per window, and only for an address we host (the event needs its tenant)
            const target = slot.firstRefused ? await em.findOne(Mailbox, { address }, { populate: ['domain'] }) : null;
            if (target) {
              recordUserEvent(em, 'login.throttled', target.domain.owner, {
                address,
                mailboxId: target.id,
                limit: this.throttle.limit,
                windowSeconds: this.throttle.windowSeconds,
              });
            }
            return 'throttled' as const;
          }
          const mailbox = await em.findOne(Mailbox, { address }, { populate: ['domain', 'domain.owner'] });
          if (!mailbox) return null;
          const credential = selector
            ? await em.findOne(AppPassword, { selector, mailbox }, { populate: ['hash'] })
            : await em.findOne(MailboxPassword, { mailbox }, { populate: ['hash'] });
          return credential ? ({ mailbox, credential } satisfies Candidate) : null;
        })
      : null;
    if (loaded === 'throttled') throw throttled(this.throttle);
    if (!loaded) {
      await this.hasher.verifyAgainstDummy(secret);
      throw invalidCredentials();
    }
    const { mailbox, credential } = loaded;
    if (!(await this.hasher.verify(credential.hash, secret))) throw invalidCredentials();
    if (credential instanceof AppPassword && !credential.admits(protocol)) throw invalidCredentials();
    mailbox.assertActive();
    mailbox.domain.assertSendsMail();
    mailbox.domain.owner.assertActive();
    await this.run(async (em) => {
      await clearLoginSlots(em, mailbox.address);
      if (credential instanceof AppPassword) {
        // last use only: these columns are written by logins alone (a revocation writes revoked_at)
        const used = await em.findOne(AppPassword, { id: credential.id });
        used?.recordUse(input.remoteAddress ?? null);
      }
    });
    if (this.hasher.needsRehash(credential.hash)) await this.rehash(credential, secret);
    return {
      mailbox: toMailboxView(mailbox),
      credential: credential instanceof AppPassword ? 'app-password' : 'password',
      appPasswordId: credential instanceof AppPassword ? credential.id : null,
    };
  }

  /**
   * Best effort, after the login succeeded: a hash made with older parameters is replaced, only if
   * it is still the one checked. A reset committed meanwhile wins (the mailbox password is
   * versioned); the next login rehashes the new one.
   */
  private async rehash(credential: MailboxPassword | AppPassword, secret: string): Promise<void> {
    const hash = await this.hasher.hash(secret);
    await this.run(async (em) => {
      const fresh =
        credential instanceof AppPassword
          ? await em.findOne(AppPassword, { id: credential.id }, { populate: ['hash'] })
          : await em.findOne(MailboxPassword, { id: credential.id }, { populate: ['hash'] });
      if (fresh && fresh.hash === credential.hash) fresh.replace(hash);
    }).catch((error: unknown) => {
      if (!isDomainError(error, 'CONCURRENT_UPDATE')) throw error;
    });
  }
}

function parseOrNull(address: unknown): string | null {
  try {
    return EmailAddress.parse(address as string).value;
  } catch (error) {
    if (error instanceof DomainError) return null;
    throw error;
  }
}
