/**
 * Guard of `src/infrastructure/database/upstream/release-after-failed-rollback.ts`. When the
 * server drops a connection in the middle of a transaction, Kysely's rollback fails and the
 * connection is never released to the pool. When stock Kysely starts releasing it, the first test
 * fails and the workaround can go. (End to end, through the application, the same fault is covered
 * by test/reliability/faults.test.ts.)
 */
import { CompiledQuery, type Dialect, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { toPgConfig } from '../../../src/infrastructure/database/database-url.js';
import { releaseAfterFailedRollback } from '../../../src/infrastructure/database/upstream/release-after-failed-rollback.js';
import { useTestDatabase } from '../../support/test-database.js';

const db = useTestDatabase();

interface Rig {
  pool: pg.Pool;
  kysely: Kysely<unknown>;
  /** Errors the pool's clients reported (the server's "terminating connection"). */
  errors: Error[];
  acquired: pg.PoolClient[];
}

let rig: Rig | undefined;

function open(wrap: (dialect: Dialect) => Dialect): Rig {
  const pool = new pg.Pool({ ...toPgConfig(db.settings.direct), max: 1 });
  const errors: Error[] = [];
  const acquired: pg.PoolClient[] = [];
  pool.on('connect', (client) => client.on('error', (e) => errors.push(e)));
  pool.on('acquire', (client) => acquired.push(client));
  pool.on('error', () => {});
  rig = { pool, kysely: new Kysely<unknown>({ dialect: wrap(new PostgresDialect({ pool })) }), errors, acquired };
  return rig;
}

afterEach(async () => {
  if (!rig) return;
  // a connection stock Kysely leaked would keep pool.end() waiting for ever: hand it back first
  if (rig.pool.totalCount > rig.pool.idleCount) for (const client of rig.acquired) client.release(true);
  await rig.pool.end();
  rig = undefined;
});

/** Starts a transaction, has the server terminate its backend, and tries to roll it back. */
async function rollbackOnDeadConnection({ kysely, errors }: Rig) {
  const trx = await kysely.startTransaction().execute();
  const { rows } = await trx.executeQuery<{ pid: number }>(CompiledQuery.raw('select pg_backend_pid() as pid'));
  await db.sql('select pg_terminate_backend($1)', [rows[0]!.pid]);
  for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  expect(errors.length, 'the client should have seen the server end its connection').toBeGreaterThan(0);
  return trx.rollback().execute();
}

describe('a rollback that fails on a dead connection (the upstream behaviour)', () => {
  it('stock Kysely keeps the connection checked out of the pool', async () => {
    const stock = open((dialect) => dialect);
    await expect(rollbackOnDeadConnection(stock)).rejects.toThrow();
    expect(stock.pool.totalCount - stock.pool.idleCount).toBe(1);
  });
});

describe('releaseAfterFailedRollback', () => {
  it('lets the rollback count as done: the connection leaves the pool and the next transaction works', async () => {
    const fixed = open(releaseAfterFailedRollback);
    await expect(rollbackOnDeadConnection(fixed)).resolves.toBeUndefined();
    expect(fixed.pool.totalCount - fixed.pool.idleCount).toBe(0);
    const trx = await fixed.kysely.startTransaction().execute();
    const { rows } = await trx.executeQuery<{ one: number }>(CompiledQuery.raw('select 1 as one'));
    await trx.commit().execute();
    expect(rows).toEqual([{ one: 1 }]);
    expect(fixed.pool.totalCount - fixed.pool.idleCount).toBe(0);
  });
});
