/**
 * Where the data layer connects, read from the environment.
 *
 * - `DATABASE_URL`: the database, directly; migrations and schema commands always use it.
 * - `DATABASE_URL_POOLER`: when set, application traffic goes through it (PgBouncer and friends).
 * - `DATABASE_REPLICA_URLS`: comma-separated read replicas for application reads outside transactions.
 * - neither: the embedded PostgreSQL (see embedded-postgres.ts).
 */
import { acquireEmbeddedPostgres } from './embedded-postgres.js';
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
  const direct = url ? parseDatabaseUrl(url, 'DATABASE_URL') : await acquireEmbeddedPostgres();
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
