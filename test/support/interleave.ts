/**
 * Deterministic interleavings: a transaction of the test's own holds a lock (or an uncommitted
 * row) so that units of work started meanwhile stop at a known statement; the test waits until
 * the server shows them waiting, then lets go. No sleeps: every wait is on what PostgreSQL reports.
 */
import pg from 'pg';
import { toPgConfig } from '../../src/infrastructure/database/database-url.js';
import type { TestDatabase } from './test-database.js';

export interface Held {
  /** Commits the holding transaction (what it wrote stays). */
  commit(): Promise<void>;
  /** Rolls it back (what it wrote goes). */
  rollback(): Promise<void>;
}

/** Opens a transaction as the owner and runs `statements` in it; it holds their locks until released. */
export async function hold(db: TestDatabase, statements: [string, unknown[]?][]): Promise<Held> {
  const target = db.settings.direct;
  const client = new pg.Client({ ...toPgConfig(target), options: `-c search_path=${target.schema}` });
  client.on('error', () => {}); // the file's database is dropped with force at the end
  await client.connect();
  await client.query('begin');
  for (const [text, params] of statements) await client.query(text, params ?? []);
  const end = async (verb: 'commit' | 'rollback') => {
    try {
      await client.query(verb);
    } finally {
      await client.end();
    }
  };
  return { commit: () => end('commit'), rollback: () => end('rollback') };
}

/**
 * Waits until at least `count` other sessions on this file's database wait for a lock (heavy locks
 * and row locks alike), at most `timeoutMs`.
 */
export async function waitForLockWaiters(db: TestDatabase, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`,
    );
    if (row!.n >= count) return;
    if (Date.now() > deadline) throw new Error(`expected ${count} sessions waiting for a lock, saw ${row!.n}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise's outcome as data: the value, or the error's code (or the error itself when it has none). */
export async function outcome<T>(
  work: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; code: unknown; error: unknown }> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, code: (error as { code?: unknown }).code ?? error, error };
  }
}
