import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { hash as argon2Hash } from '@node-rs/argon2';
import { ValidationError } from '../../src/domain/errors.js';
import { assertAcceptablePassword } from '../../src/domain/password-hasher.js';
import { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import { PASSWORD } from '../support/world.js';

const hasher = new Argon2PasswordHasher();

describe('Argon2PasswordHasher', () => {
  it('makes PHC argon2id hashes with the OWASP parameters', async () => {
    const hash = await hasher.hash(PASSWORD);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(hash).not.toContain(PASSWORD);
  });

  it('salts: two hashes of the same password differ, and both verify', async () => {
    const [a, b] = await Promise.all([hasher.hash(PASSWORD), hasher.hash(PASSWORD)]);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, PASSWORD)).toBe(true);
    expect(await hasher.verify(b, PASSWORD)).toBe(true);
  });

  it('verify is false for another password', async () => {
    const hash = await hasher.hash(PASSWORD);
    expect(await hasher.verify(hash, `${PASSWORD}!`)).toBe(false);
    expect(await hasher.verify(hash, PASSWORD.toUpperCase())).toBe(false);
    expect(await hasher.verify(hash, '')).toBe(false);
  });

  it('verify is false, never an error, for malformed hashes', async () => {
    const good = await hasher.hash(PASSWORD);
    const [, , , , salt = '', digest = ''] = good.split('$');
    const malformed = [
      '',
      'x',
      PASSWORD,
      '$argon2id$',
      good.slice(0, -5),
      `${good}$`,
      good.replace('$argon2id$', '$argon2x$'),
      good.replace('m=19456', 'm=abc'),
      good.replace('m=19456', 'm=4294967295'), // would need 4 TiB of memory
      good.replace('t=2', 't=1000000'),
      `$argon2id$v=19$m=19456,t=2,p=1$!!!!$${digest}`,
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${digest.slice(0, 10)}`,
      `$argon2id$v=99$m=19456,t=2,p=1$${salt}$${digest}`,
      `$argon2id$v=19$m=19456,t=2,p=0$${salt}$${digest}`,
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', // bcrypt
      good.replace('$', '\u0000'),
      '\ud800',
      'a'.repeat(100_000),
    ];
    for (const hash of malformed) {
      expect(await hasher.verify(hash, PASSWORD), hash.slice(0, 80)).toBe(false);
    }
  });

  it('verify is false for arbitrary strings as hash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), async (hash) => {
        expect(await hasher.verify(hash, PASSWORD)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('needsRehash: false for its own parameters, true for others', async () => {
    const own = await hasher.hash(PASSWORD);
    expect(hasher.needsRehash(own)).toBe(false);

    const stronger = new Argon2PasswordHasher({ timeCost: 3 });
    const strongerHash = await stronger.hash(PASSWORD);
    expect(strongerHash).toContain('m=19456,t=3,p=1');
    expect(hasher.needsRehash(strongerHash)).toBe(true);
    expect(stronger.needsRehash(own)).toBe(true);
    expect(stronger.needsRehash(strongerHash)).toBe(false);
    // An old hash still verifies, so it can be upgraded at the next login.
    expect(await stronger.verify(own, PASSWORD)).toBe(true);

    const argon2i = await argon2Hash(PASSWORD, { algorithm: 1, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(argon2i.startsWith('$argon2i$')).toBe(true);
    expect(hasher.needsRehash(argon2i)).toBe(true);
    expect(await hasher.verify(argon2i, PASSWORD)).toBe(true);

    const otherMemory = await new Argon2PasswordHasher({ memoryCost: 8192 }).hash(PASSWORD);
    expect(hasher.needsRehash(otherMemory)).toBe(true);

    expect(hasher.needsRehash('not a hash')).toBe(true);
  });

  it('verifyAgainstDummy always answers false', async () => {
    expect(await hasher.verifyAgainstDummy(PASSWORD)).toBe(false);
    expect(await hasher.verifyAgainstDummy('')).toBe(false);
  });

  it('refuses to hash text with unpaired surrogates (UTF-8 would make it U+FFFD)', async () => {
    await expect(hasher.hash('abcdefghij\ud800')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('assertAcceptablePassword', () => {
  function refusal(plain: string): ValidationError | undefined {
    try {
      assertAcceptablePassword(plain);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('INVALID_PASSWORD');
      return error as ValidationError;
    }
  }

  it('accepts 10 to 1024 characters (code points)', () => {
    expect(refusal('a'.repeat(10))).toBeUndefined();
    expect(refusal('a'.repeat(1024))).toBeUndefined();
    expect(refusal('😀'.repeat(10))).toBeUndefined(); // 20 UTF-16 units, 10 characters
    expect(refusal('😀'.repeat(1024))).toBeUndefined();
    expect(refusal('pässwörd ünicode')).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['9 characters', 'a'.repeat(9)],
    ['9 characters in 18 UTF-16 units', '😀'.repeat(9)],
    ['1025 characters', 'a'.repeat(1025)],
    ['1025 astral characters', '😀'.repeat(1025)],
    ['a NUL', 'abcdefghij\u0000klm'],
    ['an unpaired surrogate', 'abcdefghij\ud800'],
  ])('refuses %s', (_what, plain) => {
    expect(refusal(plain)).toBeInstanceOf(ValidationError);
  });

  it('never puts the password in the message', () => {
    for (const secret of ['Secret-9', 'TopSecret\u0000Value', 'TopSecretValue\udc00', `TopSecret${'x'.repeat(2000)}`]) {
      const error = refusal(secret);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error?.message).not.toContain('Secret');
    }
  });

  it('either accepts or throws INVALID_PASSWORD, for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii', minLength: 9, maxLength: 12 })),
        (plain) => {
          const ok =
            plain.isWellFormed() && !plain.includes('\0') && [...plain].length >= 10 && [...plain].length <= 1024;
          expect(refusal(plain) === undefined).toBe(ok);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
