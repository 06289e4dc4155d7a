/**
 * Parsing of `DATABASE_URL`-style settings
 * (`postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=SCHEMA`).
 *
 * Every problem is reported as one line that names the variable and the host and never the
 * password, because these messages end up in terminals and CI logs.
 */

export interface ConnectionTarget {
  /** The environment variable (or source) this target came from; used in messages. */
  readonly source: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** PostgreSQL schema for our tables; `public` unless `?schema=` says otherwise. */
  readonly schema: string;
  /** Any other query parameters (for example `sslmode`), passed on to the driver untouched. */
  readonly options: Readonly<Record<string, string>>;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

// `@`, `#`, `/`, `?` in a password end the user part early: the URL then names another host
const ENCODE_HINT =
  '; if the password holds @ # / ? or %, percent-encode them (@ as %40, # as %23, / as %2F, ? as %3F, % as %25)';

export function parseDatabaseUrl(value: string, source = 'DATABASE_URL'): ConnectionTarget {
  try {
    return parseUrl(value, source);
  } catch (error) {
    // a special character in the password is the usual cause of a URL that makes no sense
    if (error instanceof ConfigurationError && (value.includes('#') || value.split('@').length > 2)) {
      throw new ConfigurationError(error.message + ENCODE_HINT);
    }
    throw error;
  }
}

function parseUrl(value: string, source: string): ConnectionTarget {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigurationError(
      `${source} is not a valid URL; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=SCHEMA`,
    );
  }
  if (url.hash) {
    throw new ConfigurationError(`${source} has a # in it, which ends the URL there`);
  }
  const host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1');
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new ConfigurationError(`${source} must start with postgresql:// (got ${url.protocol}//${host || '…'})`);
  }
  if (!host) {
    throw new ConfigurationError(`${source} has no host; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) {
    throw new ConfigurationError(`${source} names no database (host ${host}:${port}); add /DATABASE to the URL`);
  }
  const schema = url.searchParams.get('schema') ?? 'public';
  if (!IDENTIFIER.test(schema)) {
    throw new ConfigurationError(
      `${source} has an invalid ?schema= (host ${host}:${port}); use letters, digits and underscores`,
    );
  }
  const options: Record<string, string> = {};
  for (const [key, val] of url.searchParams) {
    if (key !== 'schema') options[key] = val;
  }
  return {
    source,
    host,
    port,
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database,
    schema,
    options,
  };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** Whether a host is this machine (where development-only conveniences are allowed). */
export function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.has(host.toLowerCase());
}

/** The URL of a target with its password masked, safe to print. */
export function describeTarget(target: ConnectionTarget): string {
  return formatDatabaseUrl({ ...target, password: target.password ? '****' : '' });
}

/** The full URL of a target, password included: for child processes, never for logs. */
export function formatDatabaseUrl(target: Omit<ConnectionTarget, 'source' | 'options'>): string {
  const auth = target.password
    ? `${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}@`
    : `${encodeURIComponent(target.user)}@`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const query = target.schema === 'public' ? '' : `?schema=${target.schema}`;
  return `postgresql://${auth}${host}:${target.port}/${encodeURIComponent(target.database)}${query}`;
}

/** Removes the password (raw or URL-encoded) from any text before it is shown. */
export function redact(text: string, target: Pick<ConnectionTarget, 'password'>): string {
  if (!target.password) return text;
  return text.split(target.password).join('****').split(encodeURIComponent(target.password)).join('****');
}

/** The driver's `ssl` option for `?sslmode=` (require and verify-ca encrypt, verify-full checks the host too). */
export function sslOption(target: Pick<ConnectionTarget, 'options'>): { rejectUnauthorized: boolean } | undefined {
  const mode = target.options.sslmode;
  if (!mode || mode === 'disable' || mode === 'allow' || mode === 'prefer') return undefined;
  return { rejectUnauthorized: mode === 'verify-full' };
}

/** Connection settings for a plain `pg` client (preflight checks, test databases, baselines). */
export function toPgConfig(target: ConnectionTarget, database = target.database) {
  const ssl = sslOption(target);
  return {
    ...(ssl ? { ssl } : {}),
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database,
    connectionTimeoutMillis: 10_000,
  };
}
