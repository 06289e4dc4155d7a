/** Deterministic interleavings: hold a lock from a connection of the test's own, see who waits on it. */
import type pg from 'pg';
import type { TestDatabase } from './test-database.js';

export interface HeldLock {
  /** Ends the holding transaction (rolls back), so the waiters go on. */
  release(): Promise<void>;
}

/** Opens a transaction on the inspector's pool, runs `sql` in it (which takes some lock), and keeps it open. */
export async function holdLock(db: TestDatabase, sql: string, params: unknown[] = []): Promise<HeldLock> {
  const client = await (db as unknown as { inspector: pg.Pool }).inspector.connect();
  await client.query('begin');
  await client.query(sql, params);
  return {
    async release() {
      await client.query('rollback');
      client.release();
    },
  };
}

/** Waits (a bounded number of polls, no timing assumption) until `count` backends wait on a lock in this database. */
export async function waitForLockWaiters(db: TestDatabase, count: number): Promise<void> {
  let waiting = 0;
  for (let i = 0; i < 600; i++) {
    const [row] = await db.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    waiting = row!.n;
    if (waiting >= count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`expected ${count} backends waiting on a lock, saw ${waiting}`);
}
