/**
 * Domain errors: every refusal the model or a use case can give, each with a stable code that
 * callers (and the studio, and other services) can rely on. Messages are for people; codes are
 * for programs. No message ever contains a password or a password hash.
 */

export const ERROR_CODES = [
  // input that is malformed or out of bounds
  'INVALID_EMAIL_ADDRESS',
  'INVALID_DOMAIN_NAME',
  'INVALID_PASSWORD',
  'INVALID_NAME',
  'INVALID_QUOTA',
  'INVALID_LIMIT',
  'INVALID_FOLDER_PATH',
  'INVALID_MESSAGE',
  'INVALID_CURSOR',
  'TOO_MANY_RECIPIENTS',
  'INVALID_PROTOCOL',
  'INVALID_EXPIRY',
  'INVALID_FLAG',
  'INVALID_UID_SET',
  'INVALID_CLAIM',
  'INVALID_SEARCH',
  'CONFIRMATION_REQUIRED',
  // uniqueness and concurrency
  'EMAIL_TAKEN',
  'DOMAIN_TAKEN',
  'ADDRESS_TAKEN',
  'FOLDER_EXISTS',
  'APP_PASSWORD_NAME_TAKEN',
  'CONCURRENT_UPDATE',
  // an outbound relay reported on a claim it no longer holds (its lease ended and it was taken over)
  'CLAIM_LOST',
  // rules of the mail platform
  'ADDRESS_OUTSIDE_DOMAIN',
  'DOMAIN_NOT_VERIFIED',
  'DOMAIN_SUSPENDED',
  'DOMAIN_VERIFICATION_FAILED',
  'MAILBOX_SUSPENDED',
  'USER_SUSPENDED',
  'QUOTA_EXCEEDED',
  'MAILBOX_LIMIT_REACHED',
  'ALIAS_LIMIT_REACHED',
  'LIMIT_BELOW_USAGE',
  'ALIAS_LOOP',
  'FOLDER_PROTECTED',
  'FOLDER_NOT_EMPTY',
  'FOLDER_HAS_CHILDREN',
  'NO_SUCH_RECIPIENT',
  // the journal no longer reaches back that far: the client resynchronises (JMAP cannotCalculateChanges)
  'CANNOT_CALCULATE_CHANGES',
  // identity and access
  'INVALID_CREDENTIALS',
  'LOGIN_THROTTLED',
  'NOT_OWNER',
  'NOT_FOUND',
  // the database could not do the work (timeout, lost connection); the work was not done
  'DATABASE_UNAVAILABLE',
  'STATEMENT_TIMEOUT',
  // the database's schema is older than this code: apply the pending migrations (not an outage)
  'SCHEMA_OUTDATED',
  // an unexpected fault (a bug, not a verdict on the input or the database) stopped one delivery;
  // nothing of it was kept and a retry may succeed: the LMTP agent answers 451 for it alone
  'DELIVERY_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  override name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Malformed input: nothing was looked up or written. */
export class ValidationError extends DomainError {
  override name = 'ValidationError';
}

/** Something with that identity already exists, or someone else changed it first. */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}

/** A rule of the platform refuses the action (quota, verification, suspension, limits, …). */
export class RuleViolationError extends DomainError {
  override name = 'RuleViolationError';
}

/** The acting user may not do this, or the credentials are wrong. */
export class AccessDeniedError extends DomainError {
  override name = 'AccessDeniedError';
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';

  constructor(what: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', `${what} not found`, options);
  }
}

/** The database could not complete the unit of work; nothing of it was kept. */
export class PersistenceError extends DomainError {
  override name = 'PersistenceError';
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
