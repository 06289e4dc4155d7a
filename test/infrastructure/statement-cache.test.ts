/**
 * Kept SQL for plain loads and the flush's single-entity updates (statement-cache.ts): what is sent
 * is exactly what MikroORM's query builder sends (the same text, the same rows back, the same
 * optimistic lock), only built once per shape. Each case runs once with the driver's stock
 * `find`/`nativeUpdate` and once through the cache, and compares the statements and the rows.
 */
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { LockMode, wrap } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { Domain } from '../../src/domain/domain.js';
import { Email } from '../../src/domain/email.js';
import { User } from '../../src/domain/user.js';
import type { ResilientPostgreSqlDriver } from '../../src/infrastructure/database/resilient-driver.js';
import { digestRows } from '../support/digest.js';
import { useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain, registerUser } from '../support/world.js';

const db = useTestDatabase();
type Em = Parameters<Parameters<typeof db.aether.unitOfWork>[0]>[0];

/** Runs `work` with MikroORM's own find and nativeUpdate on the driver (the cache bypassed). */
async function stock<T>(work: () => Promise<T>): Promise<T> {
  const driver = db.aether.orm.em.getDriver();
  Object.defineProperty(driver, 'find', { value: PostgreSqlDriver.prototype.find, configurable: true });
  Object.defineProperty(driver, 'nativeUpdate', { value: PostgreSqlDriver.prototype.nativeUpdate, configurable: true });
  try {
    return await work();
  } finally {
    delete (driver as unknown as Record<string, unknown>).find;
    delete (driver as unknown as Record<string, unknown>).nativeUpdate;
  }
}

/** Shapes kept and refused, and statements run from kept SQL, so far. */
const cacheStats = () => (db.aether.orm.em.getDriver() as unknown as ResilientPostgreSqlDriver).statementCache;
const keptRuns = () => cacheStats().runs;

/** The statements `work` sent, without their timings. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  db.queries.length = 0;
  await work();
  return db.queries.map((q) => q.replace(/ \[took .*\]$/, ''));
}

describe('kept SQL (statement cache)', () => {
  it('a load by column values sends the query builder’s statement and loads the same entity', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const load = () =>
      db.aether.unitOfWork(async (em) => {
        const user = await em.findOneOrFail(User, { email: owner.email });
        // a string and a boolean compared; several rows (no limit)
        const domains = await em.find(Domain, { name: domain.name, verified: true });
        const none = await em.findOne(User, { email: `nobody-${owner.email}` });
        return { user: wrap(user).toObject(), domains: domains.map((d) => wrap(d).toObject()), none };
      });
    const before = await stock(load);
    const beforeSql = await statementsOf(() => stock(load));
    // twice through the cache: the first builds and keeps the SQL, the second only binds
    const runs = keptRuns();
    expect(await load()).toEqual(before);
    expect(keptRuns() - runs).toBe(3);
    expect(await statementsOf(load)).toEqual(beforeSql);
    expect(await load()).toEqual(before);
    expect(beforeSql.filter((q) => q.startsWith('select'))).toHaveLength(3);
  });

  it('numbers, dates and booleans bind in their places, each call its own values', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `kept@${domain.name}` });
    for (let i = 0; i < 3; i++) {
      await db.aether.mail.deliverInbound({
        recipients: [box.address],
        message: { from: 'someone@outside.test', to: [box.address], subject: `kept ${i}`, body: `body ${i}` },
      });
    }
    const byUid = (uid: number, seen: boolean) =>
      db.aether.unitOfWork(async (em) =>
        (await em.find(Email, { uid, seen, subject: `kept ${uid - 1}` })).map((e) => [e.uid, e.subject]),
      );
    const runs = keptRuns();
    for (const uid of [1, 2, 3]) {
      expect(await byUid(uid, false)).toEqual(await stock(() => byUid(uid, false)));
      expect(await byUid(uid, false)).toEqual([[uid, `kept ${uid - 1}`]]);
      expect(await byUid(uid, true)).toEqual([]);
    }
    expect(keptRuns() - runs).toBe(9);
  });

  it('an email’s flags, keyed by its mailbox and id: the same statements, and the flags as set', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `flags@${domain.name}` });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await db.aether.mail.deliverInbound({
        recipients: [box.address],
        message: { from: 'someone@outside.test', to: [box.address], subject: `flag ${i}`, body: 'b' },
      });
      ids.push(report.delivered[0]!.emailId);
    }
    const flag = (id: string) => () => db.aether.mail.flag(owner.id, box.id, id, { seen: true, flagged: true });
    const stockSql = await statementsOf(() => stock(flag(ids[0]!)));
    const runs = keptRuns();
    const keptSql = await statementsOf(flag(ids[1]!));
    // the actor by id, the email by (mailbox, id), and the flush's update of the email
    expect(keptRuns() - runs).toBe(3);
    expect(keptSql).toEqual(stockSql);
    expect(keptSql.some((q) => /^update ("\w+"\.)?"email" set/.test(q))).toBe(true);
    expect(await db.sql('select id, seen, flagged from email where mailbox_id = $1 order by uid', [box.id])).toEqual([
      { id: ids[0], seen: true, flagged: true },
      { id: ids[1], seen: true, flagged: true },
      { id: ids[2], seen: false, flagged: false },
    ]);
  });

  it('the flush’s update is the same statement, and a stale version is still refused (CONCURRENT_UPDATE)', async () => {
    const a = await registerUser(db);
    const b = await registerUser(db);
    const rename = (id: string, name: string) => () => db.aether.users.rename(id, name);
    const stockSql = await statementsOf(() => stock(rename(a.id, 'Stock')));
    const runs = keptRuns();
    const keptSql = await statementsOf(rename(b.id, 'Kept'));
    expect(keptRuns() - runs).toBe(2); // the load and the update
    await rename(b.id, 'Kept again')();
    expect(keptSql).toEqual(stockSql);
    expect(keptSql.some((q) => /^update ("\w+"\.)?"user" set/.test(q))).toBe(true);
    expect(await db.sql('select name, version from "user" where id in ($1, $2) order by name', [a.id, b.id])).toEqual([
      { name: 'Kept again', version: 3 },
      { name: 'Stock', version: 2 },
    ]);

    const unchanged = await digestRows(db, { mentioning: [b.id] });
    const error = await db.aether
      .unitOfWork(async (em) => {
        const mine = await em.findOneOrFail(User, { id: b.id });
        await db.aether.users.rename(b.id, 'Theirs'); // commits in between
        mine.rename('Mine');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    const after = await digestRows(db, { mentioning: [b.id] });
    expect(after).not.toEqual(unchanged); // "Theirs" landed, "Mine" did not
    expect(await db.sql('select name, version from "user" where id = $1', [b.id])).toEqual([
      { name: 'Theirs', version: 4 },
    ]);
  });

  it('anything less plain goes MikroORM’s usual way: nothing kept, the same statements and rows as stock', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const other = await registerUser(db);
    const emails = [owner.email, other.email].sort();
    const loads = {
      // an operator, a lock, ordering and pagination, a populated relation: each its own shape
      'an operator': (em: Em) => em.find(User, { email: { $in: emails } }, { orderBy: { email: 'asc' } }),
      'a row lock': (em: Em) => em.find(User, { email: owner.email }, { lockMode: LockMode.PESSIMISTIC_WRITE }),
      'an offset': (em: Em) => em.find(User, { status: 'active' }, { orderBy: { email: 'asc' }, limit: 1, offset: 0 }),
      'a populated relation': (em: Em) => em.find(Domain, { name: domain.name }, { populate: ['owner'] }),
    };
    for (const [what, load] of Object.entries(loads)) {
      const run = () =>
        db.aether.unitOfWork(async (em) =>
          (await load(em)).map((e) => (e instanceof User ? e.email : `${e.name} ${e.owner.email}`)),
        );
      const stockSql = await statementsOf(() => stock(run));
      const expected = await stock(run);
      const before = cacheStats();
      expect(await run(), what).toEqual(expected);
      expect(await statementsOf(run), what).toEqual(stockSql);
      expect(cacheStats(), what).toEqual(before); // nothing kept, refused or run from kept SQL
    }
    // the operator's rows are both users, in order; the lock's SQL says so
    expect(
      await db.aether.unitOfWork(async (em) => (await loads['an operator'](em)).map((u) => (u as User).email)),
    ).toEqual(emails);
    expect(
      (await statementsOf(() => db.aether.unitOfWork(loads['a row lock']))).some((q) => / for update$/.test(q)),
    ).toBe(true);
  });

  it('outside a unit of work’s transaction nothing is kept (read-only units of work run without one)', async () => {
    const owner = await registerUser(db);
    const before = cacheStats();
    const found = await db.aether.unitOfWork(async (em) => (await em.findOneOrFail(User, { email: owner.email })).id, {
      readOnly: true,
    });
    expect(found).toBe(owner.id);
    expect(cacheStats()).toEqual(before);
  });
});
