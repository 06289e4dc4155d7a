/**
 * The composition root: opens the ORM on the configured database and wires the application
 * services to it. What consumers of this package start from.
 */
import { resolveTxt } from 'node:dns/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { AliasService } from '../application/alias-service.js';
import { readScope } from '../application/loading.js';
import { DomainService } from '../application/domain-service.js';
import { MailService } from '../application/mail-service.js';
import { MailboxCredentialService } from '../application/mailbox-credential-service.js';
import { FolderService } from '../application/folder-service.js';
import { MessageStoreService } from '../application/message-store-service.js';
import { MailboxService } from '../application/mailbox-service.js';
import { OutboundService } from '../application/outbound-service.js';
import { StatisticsService } from '../application/statistics-service.js';
import type { UnitOfWork } from '../application/unit-of-work.js';
import { UserService } from '../application/user-service.js';
import type { TxtResolver } from '../domain/domain.js';
import type { LoginThrottlePolicy } from '../domain/login-throttle.js';
import type { OutboundRetryPolicy } from '../domain/outbound-message.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import { type DatabaseSettings, resolveDatabaseSettings } from './database/database-settings.js';
import { createOrmConfig } from './database/orm-config.js';
import { DatabaseUnavailableError, describeConnectionFailure } from './database/preflight.js';
import { applyMigrations } from './database/apply-migrations.js';
import { pendingMigrations, SchemaOutdatedError } from './database/schema-status.js';
import { readModels } from './persistence/read-models/index.js';
import { createUnitOfWork } from './persistence/unit-of-work.js';
import { Argon2PasswordHasher } from './security/argon2-password-hasher.js';
import { developmentTxtResolver } from './dns/development-dns.js';

export interface AetherOptions {
  /** Where to connect; read from the environment (or the embedded default) when omitted. */
  settings?: DatabaseSettings;
  /** DNS TXT lookups for domain verification; the platform's resolver by default. */
  resolveTxt?: TxtResolver;
  passwordHasher?: PasswordHasher;
  /** Failed mailbox logins allowed per address and window (DEFAULT_LOGIN_THROTTLE: 10 per 15 minutes). */
  loginThrottle?: LoginThrottlePolicy;
  /** How long and how often the outbound queue retries (DEFAULT_OUTBOUND_RETRY: doubling from 5 minutes to 4 hours, 30 attempts, 5 days). */
  outboundRetry?: OutboundRetryPolicy;
  /** Log every SQL statement, without bound values (also `AETHER_SQL_DEBUG=1`). */
  debug?: boolean;
  /**
   * Confine each user's read-only use cases (listing, reading and handling their own mail, their
   * domains and mailboxes) with PostgreSQL row-level security, as a second wall behind the
   * services' own checks. Takes effect when the application connects as a role other than the
   * tables' owner (see `npm run db:app-role`). Off by default: it costs a statement per use case.
   */
  rowLevelSecurity?: boolean;
  /** Where log lines go (console by default). */
  logger?: (message: string) => void;
  /**
   * Apply pending migrations before opening (as the `DATABASE_URL` user, never through the
   * pooler; concurrent openers wait for each other). Off by default: deploys usually migrate
   * once, before the application starts.
   */
  migrate?: boolean;
  /**
   * Refuse to open a database whose schema is behind this code (SCHEMA_OUTDATED), checked with
   * one query. On by default; off for tools that open an outdated database on purpose, e.g. to
   * call `aether.migrations.up()`.
   */
  schemaCheck?: boolean;
}

/** The schema's migrations, from code. */
export interface Migrations {
  /** Names of the migrations this code ships that the database has not applied, oldest first. */
  pending(): Promise<string[]>;
  /** Applies the pending migrations (each in its own transaction); returns their names. */
  up(): Promise<string[]>;
}

/** The application services, each public method one unit of work. */
export interface Services {
  readonly users: UserService;
  readonly domains: DomainService;
  readonly mailboxes: MailboxService;
  readonly aliases: AliasService;
  readonly mail: MailService;
  readonly statistics: StatisticsService;
  readonly credentials: MailboxCredentialService;
  /** The message store for IMAP/JMAP servers (raw messages, UIDs, flags, changes). */
  readonly store: MessageStoreService;
  /** The outbound queue, for the relay that sends mail to other servers: claim, then report each outcome. */
  readonly outbound: OutboundService;
  /** The folder tree for IMAP/JMAP servers (list with counts, create, rename, delete, subscribe). */
  readonly folders: FolderService;
}

export interface Aether extends Services {
  readonly orm: MikroORM;
  readonly settings: DatabaseSettings;
  readonly migrations: Migrations;
  readonly unitOfWork: UnitOfWork;
  /** The same services with every read on the primary: read-after-write when replicas lag. */
  readonly primary: Services;
  close(): Promise<void>;
}

const viaPooler = (s: DatabaseSettings) => s.application.host !== s.direct.host || s.application.port !== s.direct.port;

export async function openAether(options: AetherOptions = {}): Promise<Aether> {
  const settings = options.settings ?? (await resolveDatabaseSettings());
  if (options.migrate) await applyMigrations(settings);
  // AETHER_DEV_DNS_FILE (local databases only: see development-dns.ts), else the platform's DNS
  const txt = options.resolveTxt ?? developmentTxtResolver(settings) ?? ((name: string) => resolveTxt(name));
  const config = createOrmConfig(settings, 'application', {
    ...(options.debug === undefined ? {} : { debug: options.debug }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const orm = new MikroORM(config);
  try {
    await orm.connect();
    await orm.em.getConnection().execute('select 1');
  } catch (error) {
    await orm.close(true).catch(() => {});
    throw new DatabaseUnavailableError(describeConnectionFailure(settings.application, error), { cause: error });
  }
  const migrations: Migrations = {
    pending: async () => (await pendingMigrations(orm)) ?? [],
    up: () => applyMigrations(settings),
  };
  if (options.schemaCheck ?? true) {
    const pending = await pendingMigrations(orm).catch(async (error: unknown) => {
      await orm.close(true).catch(() => {});
      throw error;
    });
    if (pending && pending.length > 0) {
      await orm.close(true).catch(() => {});
      throw new SchemaOutdatedError(pending);
    }
  }
  const run = createUnitOfWork(orm, {
    hasReplicas: settings.replicas.length > 0,
    // a pooler drops the statement timeout the driver sends at connect; set it per transaction instead
    transactionSettings: viaPooler(settings) ? { statement_timeout: String(settings.statementTimeoutMs) } : {},
  });
  const onPrimary: UnitOfWork = (work, unitOptions) => run(work, { ...unitOptions, primary: true });
  const hasher = options.passwordHasher ?? new Argon2PasswordHasher();
  const services = (runner: UnitOfWork): Services => {
    const reads = readScope(options.rowLevelSecurity ?? false);
    return {
      users: new UserService(runner, hasher, readModels),
      domains: new DomainService(runner, txt, reads),
      mailboxes: new MailboxService(runner, reads),
      aliases: new AliasService(runner, reads),
      mail: new MailService(runner, readModels, reads),
      statistics: new StatisticsService(runner, readModels, reads),
      credentials: new MailboxCredentialService(runner, hasher, options.loginThrottle, reads),
      store: new MessageStoreService(runner),
      outbound: new OutboundService(runner, options.outboundRetry),
      folders: new FolderService(runner),
    };
  };
  return {
    orm,
    settings,
    migrations,
    unitOfWork: run,
    ...services(run),
    primary: services(onPrimary),
    close: () => orm.close(true),
  };
}
