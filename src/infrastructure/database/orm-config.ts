/**
 * The one MikroORM configuration, for the application, the CLI and the tests alike. Only the
 * connection target differs: application traffic may go through a pooler, schema work never does.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { SeedManager } from '@mikro-orm/seeder';
import { mailLookupSchema } from '../mail/lookup-schema.js';
import { entities } from '../persistence/entities.js';
import { type ConnectionTarget, sslOption } from './database-url.js';
import type { DatabaseSettings } from './database-settings.js';
import { LockingMigrator } from './locking-migrator.js';
import { OneLineCliFailures } from './one-line-cli-failures.js';
import { ResilientPostgreSqlDriver } from './resilient-driver.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export type ConnectionRole = 'application' | 'schema';

export function createOrmConfig(
  settings: DatabaseSettings,
  role: ConnectionRole = 'application',
  overrides: {
    database?: string;
    debug?: boolean;
    logger?: (message: string) => void;
    /** the `mikro-orm` CLI: failures of its commands end in one line (one-line-cli-failures.ts) */
    cli?: boolean;
  } = {},
): Options {
  const target: ConnectionTarget = role === 'application' ? settings.application : settings.direct;
  const driverOptions = {
    // also bounds the wait for a free pooled connection, so it allows for queueing under load
    connectionTimeoutMillis: 30_000,
    // application statements are bounded; schema work (migrations that rewrite a large table,
    // seeding) is not: a migration cut off half-way only rolls back and must run again
    statement_timeout: role === 'application' ? settings.statementTimeoutMs : 0,
    application_name: role === 'application' ? 'aether' : 'aether-schema',
    ...(sslOption(target) ? { ssl: sslOption(target) } : {}),
  };
  return defineConfig({
    driver: ResilientPostgreSqlDriver,
    entities,
    baseDir: root,
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    dbName: overrides.database ?? target.database,
    schema: target.schema,
    // reads outside transactions go to a replica when there are any; schema work never does
    ...(role === 'application' && settings.replicas.length > 0
      ? {
          preferReadReplicas: true,
          replicas: settings.replicas.map((r, i) => ({
            name: `read-${i + 1}`,
            host: r.host,
            port: r.port,
            user: r.user,
            password: r.password,
            dbName: overrides.database ?? r.database,
            // a replica that stops answering is given up quickly: the primary answers instead
            driverOptions: { ...driverOptions, connectionTimeoutMillis: 5_000 },
          })),
        }
      : {}),
    pool: { min: 0, max: settings.poolMax, idleTimeoutMillis: 10_000 },
    // the mail servers' lookup views are a migration's, not the entities': schema diffs leave them be
    schemaGenerator: {
      ignoreSchema: [mailLookupSchema(target.schema)],
      // so are the SQL functions migrations write (idn_to_unicode behind the domain's generated
      // unicode_name, email_search_document under email_search_index): without this, schema:update
      // would propose dropping them
      ignoreRoutines: true,
    },
    driverOptions,
    extensions: [LockingMigrator, SeedManager, ...(overrides.cli ? [OneLineCliFailures] : [])],
    migrations: {
      path: 'migrations',
      pathTs: 'migrations',
      snapshotName: '.snapshot',
      // the snapshot describes the entities as of the last migration:create; applying migrations
      // must not rewrite it from introspection (which, for one, loses table partitioning)
      snapshotOnMigrate: false,
      transactional: true,
      allOrNothing: false,
      emit: 'ts',
      // migrations are written schema-less and run inside the configured schema (`?schema=`)
      ...(target.schema === 'public' ? {} : { schema: target.schema }),
    },
    seeder: {
      path: 'src/seeders',
      pathTs: 'src/seeders',
      defaultSeeder: 'DatabaseSeeder',
      emit: 'ts',
    },
    // every use case forks its own entity manager; touching the global one is a bug
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // we create databases ourselves (embedded default, test clones) and never by accident
    ensureDatabase: false,
    // SQL without bound values: parameters (password hashes, mail bodies) never reach a log
    debug: (overrides.debug ?? process.env.AETHER_SQL_DEBUG === '1') ? ['query', 'info'] : false,
    ...(overrides.logger ? { logger: overrides.logger, colors: false } : {}),
  });
}
