/**
 * Plain `pg` connections beside the ORM: for server administration (creating, cloning and dropping
 * databases) and for the pools the benchmark and the tests inspect databases with.
 *
 * Every client and pool made here has an error handler. The server may end an idle connection at any
 * time — `drop database … with (force)` terminates every session on that database, a restart every
 * session — and `pg` reports that as an `error` event (`57P01`). Without a listener that event is an
 * unhandled error that fails the whole process, even though nothing was using the connection. With
 * one, the connection is discarded (a pool replaces it) and the next query on it fails as usual.
 */
import pg from 'pg';
import { type ConnectionTarget, toPgConfig } from './database-url.js';

// a termination the caller would see again as the failure of its next query; nothing to do here
const discard = () => {};

/** A client that survives the server ending it while idle; the caller connects and ends it. */
export function plainClient(config: pg.ClientConfig): pg.Client {
  const client = new pg.Client(config);
  client.on('error', discard);
  return client;
}

/** Runs `work` on a fresh client for `config`, ended afterwards whatever happens. */
export async function withClient<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = plainClient(config);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(discard);
  }
}

/** Runs `work` on a client connected as `target` (the owner's connection: DATABASE_URL). */
export function withAdminClient<T>(
  target: ConnectionTarget,
  work: (client: pg.Client) => Promise<T>,
  database = target.database,
): Promise<T> {
  return withClient(toPgConfig(target, database), work);
}

/** A pool on `target`'s database with its schema on the search path, as the ORM sees it. */
export function plainPool(target: ConnectionTarget, max = 10): pg.Pool {
  const pool = new pg.Pool({ ...toPgConfig(target), max, options: `-c search_path=${target.schema}` });
  // an idle client the server ends: pg-pool removes it and emits this; the next checkout connects anew
  pool.on('error', discard);
  return pool;
}

/** Drops `name` if it exists, ending any session still on it. */
export async function dropDatabase(target: ConnectionTarget, name: string): Promise<void> {
  await withAdminClient(target, (c) => c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
}

/** Creates `name`, empty or as a copy of `template` (which must have no sessions open). */
export async function createDatabase(
  target: ConnectionTarget,
  name: string,
  options: { template?: string } = {},
): Promise<void> {
  await withAdminClient(target, (c) =>
    c.query(
      `create database ${c.escapeIdentifier(name)}` +
        (options.template ? ` template ${c.escapeIdentifier(options.template)}` : ''),
    ),
  );
}
