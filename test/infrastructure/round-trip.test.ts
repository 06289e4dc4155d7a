import { describe, expect, it } from 'vitest';
import { EmailAddress } from '../../src/domain/email-address.js';
import { User } from '../../src/domain/user.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

describe('the round trip through MikroORM', () => {
  it('writes a user in one unit of work and reads the same row back in another', async () => {
    const written = await db.aether.unitOfWork(async (em) => {
      const user = new User({
        email: EmailAddress.parse('Ada@Example.ORG'),
        passwordHash: '$argon2id$stub',
        name: 'Ada',
      });
      em.persist(user);
      return user;
    });
    const rows = await db.sql<{ id: string; email: string; name: string }>('select id, email, name from "user"');
    expect(rows).toEqual([{ id: written.id, email: 'ada@example.org', name: 'Ada' }]);

    const read = await db.aether.unitOfWork((em) => em.findOneOrFail(User, { email: 'ada@example.org' }));
    expect(read.id).toBe(written.id);
    expect(read.createdAt.getTime()).toBe(written.createdAt.getTime());
  });

  it('lands the tables in the configured schema', async () => {
    const rows = await db.sql<{ table_schema: string }>(
      `select distinct table_schema from information_schema.tables where table_name in ('user', 'domain', 'address', 'folder', 'email')`,
    );
    expect(rows).toEqual([{ table_schema: db.settings.direct.schema }]);
  });
});
