/**
 * The plain connections beside the ORM (admin clients, inspection pools) survive the server ending
 * them while they are idle — as `drop database … with (force)` does at the end of every test file
 * and benchmark. Without an error handler, `pg` raises that as an unhandled error event, which
 * fails the whole run although every test passed.
 */
import { describe, expect, it } from 'vitest';
import { plainPool, withClient } from '../../src/infrastructure/database/admin-client.js';
import { toPgConfig } from '../../src/infrastructure/database/database-url.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

/** Ends the backend `pid` as an administrator would, and waits until it is gone. */
async function terminate(pid: number): Promise<void> {
  expect(await db.sql('select pg_terminate_backend($1) as ended', [pid])).toEqual([{ ended: true }]);
  for (let i = 0; i < 500; i++) {
    const left = await db.sql('select 1 from pg_stat_activity where pid = $1', [pid]);
    if (left.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`backend ${pid} still there`);
}

describe('connections beside the ORM', () => {
  it('a pool whose idle connection the server terminates discards it and serves the next query', async () => {
    const pool = plainPool(db.settings.direct, 1);
    try {
      const [first] = (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
      expect(pool.idleCount).toBe(1);
      await terminate(first!.pid);
      // the pool notices the termination (57P01) and drops the client, raising no unhandled error
      for (let i = 0; i < 500 && pool.totalCount > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(pool.totalCount).toBe(0);
      const [next] = (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
      expect(next!.pid).not.toBe(first!.pid);
    } finally {
      await pool.end();
    }
  });

  it('an admin client terminated while idle fails its next query as a rejection, not an unhandled error', async () => {
    const outcome = await withClient(
      { ...toPgConfig(db.settings.direct), application_name: 'aether_admin_client_test' },
      async (client) => {
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        await terminate(rows[0]!.pid);
        // let the client read the server's termination notice before it is used again
        for (let i = 0; i < 500 && (client as unknown as { _queryable: boolean })._queryable; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return client.query('select 1').then(
          () => 'answered',
          (error: unknown) => error,
        );
      },
    );
    expect(outcome).toBeInstanceOf(Error);
    expect(await db.sql(`select 1 from pg_stat_activity where application_name = 'aether_admin_client_test'`)).toEqual(
      [],
    );
  });
});
