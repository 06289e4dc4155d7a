import { describe, expect, it } from 'vitest';
import { EmailAddress } from '../../src/domain/email-address.js';
import { ConflictError } from '../../src/domain/errors.js';
import { User } from '../../src/domain/user.js';
import { useTestDatabase } from '../support/test-database.js';
import { digestRows } from '../support/digest.js';
import { registerUser } from '../support/world.js';

const db = useTestDatabase();

describe('the unit of work', () => {
  it('gives one object per row within a unit of work (the identity map)', async () => {
    const user = await registerUser(db);
    await db.aether.unitOfWork(async (em) => {
      const byId = await em.findOneOrFail(User, { id: user.id });
      const byEmail = await em.findOneOrFail(User, { email: user.email });
      const [inList] = await em.find(User, { id: user.id });
      expect(byEmail === byId).toBe(true);
      expect(inList === byId).toBe(true);
    });
    // and a fresh object in the next one
    const a = await db.aether.unitOfWork((em) => em.findOneOrFail(User, { id: user.id }));
    const b = await db.aether.unitOfWork((em) => em.findOneOrFail(User, { id: user.id }));
    expect(a === b).toBe(false);
  });

  it('writes only the changed columns, in one transaction per flush', async () => {
    const user = await registerUser(db);
    db.queries.length = 0;
    await db.aether.users.rename(user.id, 'Renamed');
    const statements = db.queries.map((q) => q.replace(/\s+\[took.*$/, ''));
    const update = statements.find((q) => q.startsWith('update'))!;
    expect(update).toMatch(
      /^update (?:"\w+"\.)?"user" set "name" = \?, "updated_at" = \?, "version" = \? where "id" = \? and "version" = \?/,
    );
    expect(update).not.toContain('email');
    expect(update).not.toContain('password_hash');
    expect(statements[0]).toBe('begin');
    expect(statements.at(-1)).toBe('commit');
    expect(statements.filter((q) => q === 'begin')).toHaveLength(1);
  });

  it('keeps nothing of a flush that fails half-way', async () => {
    const existing = await registerUser(db);
    const error = await db.aether
      .unitOfWork(async (em) => {
        em.persist(new User({ email: EmailAddress.parse('first-of-two@people.test'), passwordHash: 'x' }));
        em.persist(new User({ email: EmailAddress.parse(existing.email), passwordHash: 'x' }));
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('EMAIL_TAKEN');
    expect(await db.sql(`select email from "user" where email = 'first-of-two@people.test'`)).toEqual([]);
  });

  it('refuses a stale write with CONCURRENT_UPDATE instead of overwriting (optimistic lock)', async () => {
    const user = await registerUser(db);
    const error = await db.aether
      .unitOfWork(async (em) => {
        const mine = await em.findOneOrFail(User, { id: user.id });
        // someone else renames the user and commits in between
        await db.aether.users.rename(user.id, 'Theirs');
        mine.rename('Mine');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect(await db.sql('select name, version from "user" where id = $1', [user.id])).toEqual([
      { name: 'Theirs', version: 2 },
    ]);
  });

  it('reads one snapshot that nothing can write through (snapshot: a READ ONLY, REPEATABLE READ transaction)', async () => {
    await registerUser(db);
    const users = async () => (await db.sql<{ n: number }>('select count(*)::int as n from "user"'))[0]!.n;
    const before = await users();
    const seen = await db.aether.unitOfWork(
      async (em) => {
        const first = await em.count(User, {});
        await registerUser(db); // committed by another connection meanwhile
        return [first, await em.count(User, {})];
      },
      { snapshot: true },
    );
    expect(seen).toEqual([before, before]); // the second read saw the snapshot of the first
    expect(await users()).toBe(before + 1);

    const digest = await digestRows(db);
    const write = db.aether.unitOfWork((em) => em.nativeDelete(User, {}), { snapshot: true });
    await expect(write).rejects.toThrow(/25006/); // read_only_sql_transaction;
    expect(await digestRows(db)).toEqual(digest);
  });
});
