import type { PasswordHasher } from '../../src/domain/password-hasher.js';
import type { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import { fastHasher } from './test-database.js';

/** Counts what a service asks of the hasher, delegating the real work. */
export class CountingHasher implements PasswordHasher {
  dummyVerifies = 0;
  verifies = 0;
  constructor(readonly inner: Argon2PasswordHasher = fastHasher) {}
  hash = (plain: string) => this.inner.hash(plain);
  needsRehash = (hash: string) => this.inner.needsRehash(hash);
  verify = (hash: string, plain: string) => {
    this.verifies++;
    return this.inner.verify(hash, plain);
  };
  verifyAgainstDummy = (plain: string) => {
    this.dummyVerifies++;
    return this.inner.verifyAgainstDummy(plain);
  };
}
