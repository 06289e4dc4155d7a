import { ValidationError } from './errors.js';

/** Port: turns passwords into stored hashes and checks them. Implemented in infrastructure. */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  /** True when `plain` matches `hash`; false (never an error) for a wrong or malformed hash. */
  verify(hash: string, plain: string): Promise<boolean>;
  /** True when `hash` was made with another algorithm or other parameters than the current ones. */
  needsRehash(hash: string): boolean;
  /** Does the work of a real verify against a throw-away hash and returns false: logins for
   * unknown users take as long as logins for known ones. */
  verifyAgainstDummy(plain: string): Promise<false>;
}

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;
const tooShort = `The password must be at least ${MIN_PASSWORD_LENGTH} characters long`;
const tooLong = `The password may be at most ${MAX_PASSWORD_LENGTH} characters long`;

/**
 * The password policy for new passwords. Length is counted in code points (an emoji counts
 * once). The password is never put in the message.
 */
export function assertAcceptablePassword(plain: string): void {
  if (typeof plain !== 'string') throw refuse('The password must be a string');
  // Cheap bounds first: a string of n UTF-16 units has between n/2 and n code points.
  if (plain.length < MIN_PASSWORD_LENGTH) throw refuse(tooShort);
  if (plain.length > 2 * MAX_PASSWORD_LENGTH) throw refuse(tooLong);
  if (!plain.isWellFormed()) throw refuse('The password contains an unpaired surrogate (not valid Unicode text)');
  if (plain.includes('\0')) throw refuse('The password may not contain a NUL character');
  let codePoints = 0;
  for (const _ of plain) codePoints++;
  if (codePoints < MIN_PASSWORD_LENGTH) throw refuse(tooShort);
  if (codePoints > MAX_PASSWORD_LENGTH) throw refuse(tooLong);
}

function refuse(message: string): ValidationError {
  return new ValidationError('INVALID_PASSWORD', message);
}
