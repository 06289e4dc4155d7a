/** A query built once with the query builder and run with new values on every call. */
import { describe, expect, it } from 'vitest';
import { User } from '../../../src/domain/user.js';
import {
  CompiledQuery,
  type Placeholders,
} from '../../../src/infrastructure/persistence/read-models/compiled-query.js';
import { useTestDatabase } from '../../support/test-database.js';
import { registerUser } from '../../support/world.js';

const db = useTestDatabase();

describe('a compiled query', () => {
  it('builds its SQL once, binds each call its own values, and maps rows like the query builder', async () => {
    const a = await registerUser(db);
    const b = await registerUser(db);
    let builds = 0;
    const byEmail = new CompiledQuery(User, (em, p: Placeholders<{ email: string; since: Date }>) => {
      builds++;
      return em
        .createQueryBuilder(User, 'u')
        .select(['id', 'email', 'createdAt'])
        .where({ email: p.text('email'), createdAt: { $gte: p.date('since') }, status: 'active' });
    });
    const since = new Date(Date.now() - 60_000);
    const run = (email: string) =>
      db.aether.unitOfWork((em) => byEmail.all<{ id: string; email: string; createdAt: Date }>(em, { email, since }), {
        readOnly: true,
      });

    db.queries.length = 0;
    const [first] = await run(a.email);
    const [second] = await run(b.email);
    expect(builds).toBe(1);
    expect(first).toMatchObject({ id: a.id, email: a.email });
    expect(second).toMatchObject({ id: b.id, email: b.email });
    expect(first!.createdAt).toBeInstanceOf(Date);
    // it went through MikroORM's connection (logged), with the fixed value kept and the others bound
    expect(db.queries.filter((q) => q.startsWith('select'))).toHaveLength(2);
    expect(await run('nobody@example.com')).toEqual([]);
  });

  it('refuses a builder that drops a value it was given', async () => {
    const broken = new CompiledQuery(User, (em, p: Placeholders<{ email: string }>) => {
      p.text('email');
      return em.createQueryBuilder(User, 'u').select(['id']).where({ status: 'active' });
    });
    await expect(db.aether.unitOfWork((em) => broken.all(em, { email: 'x' }), { readOnly: true })).rejects.toThrow(
      /lost the value "email"/,
    );
  });
});
