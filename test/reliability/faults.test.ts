/**
 * Faults: the connection dies mid-flush, a statement runs too long. The caller gets a domain
 * error, the database keeps nothing of the failed unit of work, and the next one succeeds.
 */
import { describe, expect, it } from 'vitest';
import { EmailAddress } from '../../src/domain/email-address.js';
import { User } from '../../src/domain/user.js';
import { useTestDatabase } from '../support/test-database.js';
import { registerUser } from '../support/world.js';

const db = useTestDatabase({ poolMax: 3, statementTimeoutMs: 1_000 });

describe('the server terminates the connection in the middle of a flush', () => {
  it('the caller gets an error, nothing of the unit of work is kept, the pool recovers', async () => {
    const blocker = await registerUser(db);
    // hold a row lock so the flush stops half-way: after its inserts, at the update of this row
    const holder = await (db as unknown as { inspector: import('pg').Pool }).inspector.connect();
    await holder.query('begin');
    await holder.query('select 1 from "user" where id = $1 for update', [blocker.id]);

    const flush = db.aether.unitOfWork(async (em) => {
      for (let i = 0; i < 20; i++)
        em.persist(new User({ email: EmailAddress.parse(`doomed-${i}@people.test`), passwordHash: 'x' }));
      (await em.findOneOrFail(User, { id: blocker.id })).rename('never');
    });
    const flushing = flush.catch((e: unknown) => e);

    // wait until the flush is stuck on the lock, then kill its backend
    let pid: number | undefined;
    for (let i = 0; i < 400 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const [row] = await db.sql<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ~ '^update ("[^"]+"\\.)?"user"'`,
      );
      pid = row?.pid;
    }
    expect(pid, 'the flush should be waiting on the lock').toBeDefined();
    const [inserted] = await db.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where pid = $1 and xact_start is not null`,
      [pid],
    );
    expect(inserted!.n).toBe(1);
    await db.sql('select pg_terminate_backend($1)', [pid]);
    await holder.query('rollback');
    holder.release();

    const error = await flushing;
    expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(await db.sql(`select count(*)::int as n from "user" where email like 'doomed-%'`)).toEqual([{ n: 0 }]);
    expect(await db.sql('select name from "user" where id = $1', [blocker.id])).toEqual([{ name: null }]);

    // the pool threw the dead connection away: every connection works again
    await Promise.all(Array.from({ length: 6 }, (_, i) => registerUser(db, `after-${i}@people.test`)));
    expect(await db.sql(`select count(*)::int as n from "user" where email like 'after-%'`)).toEqual([{ n: 6 }]);
  });
});

describe('the connection dies after the flush, before the commit', () => {
  it('reports DATABASE_UNAVAILABLE, commits nothing and leaks no connection', async () => {
    const error = await db.aether
      .unitOfWork(async (em) => {
        em.persist(new User({ email: EmailAddress.parse('uncommitted@people.test'), passwordHash: 'x' }));
        await em.flush();
        const [row] = await em.execute<{ pid: number }[]>('select pg_backend_pid() as pid');
        await db.sql('select pg_terminate_backend($1)', [row!.pid]);
        await new Promise((r) => setTimeout(r, 200));
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(await db.sql(`select 1 from "user" where email = 'uncommitted@people.test'`)).toEqual([]);
    const pool = await (
      db.aether.orm.em.getConnection() as unknown as { getNativeClient(): Promise<import('pg').Pool> }
    ).getNativeClient();
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });
});

describe('a statement that runs past the statement timeout', () => {
  it('fails cleanly with STATEMENT_TIMEOUT and frees its connection', async () => {
    const error = await db.aether.unitOfWork((em) => em.execute('select pg_sleep(5)')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STATEMENT_TIMEOUT' });
    // all three pooled connections are usable again
    await Promise.all(Array.from({ length: 3 }, () => db.aether.unitOfWork((em) => em.execute('select 1'))));
    const pool = await (
      db.aether.orm.em.getConnection() as unknown as { getNativeClient(): Promise<import('pg').Pool> }
    ).getNativeClient();
    expect(pool.totalCount).toBeLessThanOrEqual(3);
    expect(pool.waitingCount).toBe(0);
  });
});
