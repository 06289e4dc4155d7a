/** The usage examples of the README, each as a test. */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain, PASSWORD } from '../support/world.js';

const db = useTestDatabase();

describe('README examples', () => {
  it('create, read with relations, update and delete a user', async () => {
    const { users, domains, mailboxes } = db.aether;
    const user = await users.register({ email: 'jane@example.com', password: PASSWORD, name: 'Jane' });
    const domain = await domains.add(user.id, { name: 'jane.example' });
    await mailboxes.create(user.id, { address: 'hello@jane.example' });

    const withRelations = await users.get(user.id, { withDomains: true });
    expect(withRelations.domains?.map((d) => [d.name, d.mailboxes?.map((m) => m.address)])).toEqual([
      ['jane.example', ['hello@jane.example']],
    ]);

    const renamed = await users.rename(user.id, 'Jane Doe');
    expect(renamed.name).toBe('Jane Doe');

    await users.delete(user.id);
    expect(await db.sql('select 1 from "user" where id = $1', [user.id])).toEqual([]);
    expect(await db.sql('select 1 from domain where id = $1', [domain.id])).toEqual([]);
    expect(await db.sql(`select 1 from address where address = 'hello@jane.example'`)).toEqual([]);
  });

  it('users owning a domain ending with a suffix, with domains and mailboxes, in a fixed number of queries', async () => {
    const queriesFor = async () => {
      db.queries.length = 0;
      const owners = await db.aether.users.findOwnersByDomainSuffix('.org');
      return { owners, queries: db.queries.filter((q) => q.startsWith('select')).length };
    };
    for (let i = 0; i < 2; i++) {
      const { owner } = await ownerWithDomain(db, { name: `suffix-${i}.org` });
      await db.aether.mailboxes.create(owner.id, { address: `m@suffix-${i}.org` });
    }
    await ownerWithDomain(db, { name: 'other.net' });
    const few = await queriesFor();
    for (let i = 2; i < 12; i++) {
      const { owner } = await ownerWithDomain(db, { name: `suffix-${i}.org` });
      await db.aether.mailboxes.create(owner.id, { address: `m@suffix-${i}.org` });
    }
    const many = await queriesFor();
    expect(few.owners).toHaveLength(2);
    expect(many.owners).toHaveLength(12);
    expect(many.owners.every((o) => o.domains?.every((d) => d.mailboxes?.length === 1))).toBe(true);
    expect(many.queries).toBe(few.queries);
    expect(many.queries).toBeLessThanOrEqual(3);
  });

  it('email counts per user in one grouped query', async () => {
    const a = await ownerWithDomain(db, { name: 'count-a.example' });
    const b = await ownerWithDomain(db, { name: 'count-b.example' });
    await db.aether.mailboxes.create(a.owner.id, { address: 'x@count-a.example' });
    await db.aether.mailboxes.create(b.owner.id, { address: 'y@count-b.example' });
    await db.aether.mail.deliverMany('x@count-a.example', [message(), message(), message()]);
    await db.aether.mail.deliverMany('y@count-b.example', [message()]);
    db.queries.length = 0;
    const counts = await db.aether.statistics.emailCountsPerUser();
    expect(
      counts
        .filter((c) => c.userId === a.owner.id || c.userId === b.owner.id)
        .map((c) => c.emails)
        .sort(),
    ).toEqual([1, 3]);
    expect(db.queries.filter((q) => q.startsWith('select'))).toHaveLength(1);
    expect(db.queries.find((q) => q.startsWith('select'))).toMatch(/group by/);
  });
});
