import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Algorithm, type Options } from '@node-rs/argon2';
import { ValidationError } from '../../domain/errors.js';
import type { PasswordHasher } from '../../domain/password-hasher.js';

export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over the memory. */
  timeCost: number;
  /** Lanes (threads). */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

// The library's `Algorithm` and `Version` are ambient const enums, which isolatedModules does not
// let us reference by name: use their documented values.
const ARGON2ID: Algorithm = 2;
const ARGON2_VERSION_19 = 19;
const OUTPUT_BYTES = 32;

/**
 * Hashes found in the database are still input: refuse to verify against parameters so large that
 * checking them would exhaust memory or CPU (a corrupted or planted hash) instead of trying.
 */
const MAX_VERIFY_MEMORY_KIB = 1024 * 1024; // 1 GiB
const MAX_VERIFY_TIME_COST = 64;
const MAX_VERIFY_PARALLELISM = 64;
const MAX_HASH_LENGTH = 512;

/** `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<digest>` (PHC string format; `v=` absent on v1.0 hashes). */
const PHC =
  /^\$(argon2id|argon2i|argon2d)\$(?:v=(\d{1,3})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface ParsedPhc {
  algorithm: string;
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  digestBytes: number;
}

function parsePhc(hash: string): ParsedPhc | undefined {
  if (hash.length > MAX_HASH_LENGTH) return undefined;
  const m = PHC.exec(hash);
  if (!m) return undefined;
  return {
    algorithm: m[1]!,
    version: m[2] === undefined ? 16 : Number(m[2]),
    memoryCost: Number(m[3]),
    timeCost: Number(m[4]),
    parallelism: Number(m[5]),
    digestBytes: Math.floor((m[7]!.length * 3) / 4), // unpadded base64
  };
}

export class Argon2PasswordHasher implements PasswordHasher {
  readonly params: Readonly<Argon2Params>;
  readonly #options: Options;
  #dummyHash: Promise<string> | undefined;

  constructor(params: Partial<Argon2Params> = {}) {
    this.params = Object.freeze({ ...OWASP_ARGON2_PARAMS, ...params });
    this.#options = {
      algorithm: ARGON2ID,
      memoryCost: this.params.memoryCost,
      timeCost: this.params.timeCost,
      parallelism: this.params.parallelism,
      outputLen: OUTPUT_BYTES,
    };
  }

  async hash(plain: string): Promise<string> {
    // The library encodes strings as UTF-8, which would turn every lone surrogate into U+FFFD.
    if (!plain.isWellFormed()) {
      throw new ValidationError(
        'INVALID_PASSWORD',
        'The password contains an unpaired surrogate (not valid Unicode text)',
      );
    }
    return argon2Hash(plain, this.#options);
  }

  async verify(hash: string, plain: string): Promise<boolean> {
    if (typeof hash !== 'string' || typeof plain !== 'string' || !plain.isWellFormed()) return false;
    const phc = parsePhc(hash);
    if (
      phc === undefined ||
      phc.memoryCost > MAX_VERIFY_MEMORY_KIB ||
      phc.timeCost > MAX_VERIFY_TIME_COST ||
      phc.parallelism > MAX_VERIFY_PARALLELISM
    ) {
      return false;
    }
    try {
      return await argon2Verify(hash, plain);
    } catch {
      return false; // malformed salt or digest
    }
  }

  needsRehash(hash: string): boolean {
    const phc = parsePhc(hash);
    return (
      phc === undefined ||
      phc.algorithm !== 'argon2id' ||
      phc.version !== ARGON2_VERSION_19 ||
      phc.memoryCost !== this.params.memoryCost ||
      phc.timeCost !== this.params.timeCost ||
      phc.parallelism !== this.params.parallelism ||
      phc.digestBytes !== OUTPUT_BYTES
    );
  }

  /**
   * For a login with an unknown user name: does the same work as a real `verify` with the current
   * parameters (against a hash of a random secret, made once and kept), then returns false, so the
   * response time does not tell whether the account exists.
   */
  async verifyAgainstDummy(plain: string): Promise<false> {
    this.#dummyHash ??= argon2Hash(randomBytes(32).toString('base64url'), this.#options);
    await this.verify(await this.#dummyHash, plain);
    return false;
  }
}
