import { describe, expect, it } from 'vitest';
import { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import { readModels } from '../../src/infrastructure/persistence/read-models/index.js';
import { CountingHasher } from '../support/counting-hasher.js';
import { fastHasher, useTestDatabase } from '../support/test-database.js';
import { expectRefused, PASSWORD, registerUser } from '../support/world.js';

const db = useTestDatabase();

describe('users', () => {
  it('registers with a normalised, case-insensitively unique address and an argon2id hash', async () => {
    const user = await db.aether.users.register({
      email: 'Grace.Hopper@Navy.MIL',
      password: PASSWORD,
      name: ' Grace ',
    });
    expect(user).toMatchObject({ email: 'grace.hopper@navy.mil', name: 'Grace', status: 'active' });
    expect(user).not.toHaveProperty('passwordHash');
    const [row] = await db.sql<{ password_hash: string }>('select password_hash from "user" where id = $1', [user.id]);
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await expectRefused(db, 'EMAIL_TAKEN', () =>
      db.aether.users.register({ email: 'GRACE.HOPPER@navy.mil', password: PASSWORD }),
    );
  });

  it('refuses bad input before anything is written', async () => {
    await expectRefused(db, 'INVALID_EMAIL_ADDRESS', () =>
      db.aether.users.register({ email: 'not an address', password: PASSWORD }),
    );
    await expectRefused(db, 'INVALID_PASSWORD', () =>
      db.aether.users.register({ email: 'short@pw.test', password: 'short' }),
    );
    await expectRefused(db, 'INVALID_NAME', () =>
      db.aether.users.register({ email: 'ctl@pw.test', password: PASSWORD, name: 'bell\u0007' }),
    );
  });

  it('authenticates, and refuses wrong passwords, unknown users and suspended users alike', async () => {
    const user = await registerUser(db);
    await expect(db.aether.users.authenticate({ email: user.email, password: PASSWORD })).resolves.toMatchObject({
      id: user.id,
    });
    await expectRefused(db, 'INVALID_CREDENTIALS', () =>
      db.aether.users.authenticate({ email: user.email, password: 'wrong password!' }),
    );
    await expectRefused(db, 'INVALID_CREDENTIALS', () =>
      db.aether.users.authenticate({ email: 'nobody@people.test', password: PASSWORD }),
    );
    await db.aether.users.suspend(user.id);
    await expectRefused(db, 'USER_SUSPENDED', () =>
      db.aether.users.authenticate({ email: user.email, password: PASSWORD }),
    );
  });

  it('spends a full hash verification on unknown users, so timing does not reveal accounts', async () => {
    const counting = new CountingHasher(fastHasher);
    const { UserService } = await import('../../src/application/user-service.js');
    const users = new UserService(db.aether.unitOfWork, counting, readModels);
    await expect(users.authenticate({ email: 'ghost@people.test', password: PASSWORD })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await expect(users.authenticate({ email: 'not an address', password: PASSWORD })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    expect(counting.dummyVerifies).toBe(2);
    expect(counting.verifies).toBe(0);
  });

  it('re-hashes transparently on login when the hashing parameters changed', async () => {
    const user = await registerUser(db);
    const { UserService } = await import('../../src/application/user-service.js');
    const stronger = new Argon2PasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 1 });
    await new UserService(db.aether.unitOfWork, stronger, readModels).authenticate({
      email: user.email,
      password: PASSWORD,
    });
    const [row] = await db.sql<{ password_hash: string }>('select password_hash from "user" where id = $1', [user.id]);
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);
    // and the new hash still verifies
    await expect(
      new UserService(db.aether.unitOfWork, stronger, readModels).authenticate({
        email: user.email,
        password: PASSWORD,
      }),
    ).resolves.toBeTruthy();
  });

  it('changes a password only with the current one', async () => {
    const user = await registerUser(db);
    await expectRefused(db, 'INVALID_CREDENTIALS', () =>
      db.aether.users.changePassword(user.id, { current: 'not the password', next: 'a brand new passphrase' }),
    );
    await db.aether.users.changePassword(user.id, { current: PASSWORD, next: 'a brand new passphrase' });
    await expect(
      db.aether.users.authenticate({ email: user.email, password: 'a brand new passphrase' }),
    ).resolves.toBeTruthy();
  });

  it('keeps the password hash out of JSON, inspection and error messages', async () => {
    const user = await registerUser(db);
    const { User } = await import('../../src/domain/user.js');
    const { inspect } = await import('node:util');
    const entity = await db.aether.unitOfWork((em) =>
      em.findOneOrFail(User, { id: user.id }, { populate: ['passwordHash'] }),
    );
    expect(entity.passwordHash).toMatch(/^\$argon2id/);
    expect(JSON.stringify(entity)).not.toContain('argon2');
    expect(inspect(entity)).not.toContain('argon2');
    const error = await db.aether.users
      .authenticate({ email: user.email, password: 'wrong password!' })
      .catch((e: Error) => e);
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain('argon2');
  });
});
