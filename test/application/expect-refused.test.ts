/**
 * The refusal check every rule's test relies on: `expectRefused` must fail when a refused action
 * still changed anything — a column of a row (same row counts), a row of a partition, a row of a
 * table added after the helper was written.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain, registerUser } from '../support/world.js';

const db = useTestDatabase();

/** An action that runs `sql` as the owner, then fails as a refusal would. */
const writesThenRefuses =
  (sql: string, params: unknown[] = []) =>
  async () => {
    await db.sql(sql, params);
    throw new DomainError('NOT_FOUND', 'refused after writing');
  };

/** expectRefused's verdict on `action`: the assertion error it raised, or undefined if it held. */
async function verdict(action: () => Promise<unknown>): Promise<Error | undefined> {
  return expectRefused(db, 'NOT_FOUND', action).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
}

describe('expectRefused', () => {
  it('holds for a refusal that wrote nothing', async () => {
    const user = await registerUser(db);
    expect(
      await verdict(() => db.aether.users.get(user.id).then(() => Promise.reject(new DomainError('NOT_FOUND', 'x')))),
    ).toBe(undefined);
  });

  it('fails when a refused action changed a column but no row count', async () => {
    const user = await registerUser(db);
    const error = await verdict(writesThenRefuses(`update "user" set name = 'changed' where id = $1`, [user.id]));
    expect(error?.message).toMatch(/the refused action changed rows/);
    expect(await db.sql(`select name from "user" where id = $1`, [user.id])).toEqual([{ name: 'changed' }]);
  });

  it("fails when a refused action changed a row of the partitioned email table's partition", async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `me@${domain.name}` });
    await db.aether.mail.deliverMany(box.address, [message()]);
    const [found] = await db.sql<{ partition: string }>(
      `select tableoid::regclass::text as partition from email where mailbox_id = $1`,
      [box.id],
    );
    const error = await verdict(
      writesThenRefuses(`update ${found!.partition} set seen = not seen where mailbox_id = $1`, [box.id]),
    );
    expect(error?.message).toMatch(/the refused action changed rows/);
  });

  it('fails when a refused action changed a table that did not exist when the helper was written', async () => {
    await db.sql('create table later_table (id int primary key, note text not null)');
    await db.sql(`insert into later_table values (1, 'before')`);
    const error = await verdict(writesThenRefuses(`update later_table set note = 'after' where id = 1`));
    expect(error?.message).toMatch(/the refused action changed rows/);
    expect(await db.sql('select note from later_table')).toEqual([{ note: 'after' }]);
    await db.sql('drop table later_table');
  });
});
