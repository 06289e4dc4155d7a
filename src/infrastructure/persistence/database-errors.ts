/**
 * Database errors never escape raw: each becomes a domain error with a stable code. Constraint
 * names are the contract between the schema (mappings, migrations) and this table.
 */
import {
  CheckConstraintViolationException,
  ConnectionException,
  DeadlockException,
  DriverException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import {
  ConflictError,
  DomainError,
  type ErrorCode,
  PersistenceError,
  RuleViolationError,
  ValidationError,
} from '../../domain/errors.js';

const UNIQUE: Record<string, [ErrorCode, string]> = {
  user_email_unique: ['EMAIL_TAKEN', 'a user with that email address already exists'],
  domain_verified_name_unique: ['DOMAIN_TAKEN', 'that domain is already verified by its owner'],
  domain_name_owner_unique: ['DOMAIN_TAKEN', 'you have already added that domain'],
  address_address_unique: ['ADDRESS_TAKEN', 'that address is already taken by a mailbox or alias'],
  folder_mailbox_path_unique: ['FOLDER_EXISTS', 'the mailbox already has a folder with that name'],
  app_password_live_name_unique: [
    'APP_PASSWORD_NAME_TAKEN',
    'the mailbox already has an application password with that name',
  ],
};

const CHECKS: Record<string, [ErrorCode, string]> = {
  address_quota: ['QUOTA_EXCEEDED', 'the mailbox quota would be exceeded'],
  address_in_domain: ['ADDRESS_OUTSIDE_DOMAIN', 'an address must be on its own domain'],
  user_email_normalised: ['INVALID_EMAIL_ADDRESS', 'the database refused the address as not normalised'],
  address_normalised: ['INVALID_EMAIL_ADDRESS', 'the database refused the address as not normalised'],
  domain_name_normalised: ['INVALID_DOMAIN_NAME', 'the database refused the domain name as not normalised'],
};

/** Connection-level failures: the server went away, refused us, or is shutting down. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

/** A table, column or function the code expects is missing: migrations are pending, not an outage. */
const SCHEMA_CODES = new Set(['42P01', '42703']);

export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  if (error instanceof OptimisticLockError) {
    return new ConflictError('CONCURRENT_UPDATE', 'someone else changed this first; load it again and retry', {
      cause: error,
    });
  }
  if (error instanceof DeadlockException || error instanceof LockWaitTimeoutException) {
    return new ConflictError('CONCURRENT_UPDATE', 'a concurrent change got in the way; retry', { cause: error });
  }
  const constraint = (error as { constraint?: string }).constraint ?? '';
  if (error instanceof UniqueConstraintViolationException) {
    const [code, message] = UNIQUE[constraint] ?? ['CONCURRENT_UPDATE', `a uniqueness rule was broken (${constraint})`];
    return new ConflictError(code, message, { cause: error });
  }
  if (error instanceof CheckConstraintViolationException) {
    const known = CHECKS[constraint];
    if (known) return new RuleViolationError(known[0], known[1], { cause: error });
    return new ValidationError('INVALID_MESSAGE', `the data breaks the rule ${constraint || 'of the table'}`, {
      cause: error,
    });
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    if (constraint === 'email_folder_id_foreign') {
      return new RuleViolationError('FOLDER_NOT_EMPTY', 'the folder still holds email; move or delete it first', {
        cause: error,
      });
    }
    return new ConflictError('CONCURRENT_UPDATE', 'something this refers to was removed meanwhile; retry', {
      cause: error,
    });
  }
  const code = String((error as { code?: string }).code ?? '');
  if (SCHEMA_CODES.has(code)) {
    return new PersistenceError(
      'SCHEMA_OUTDATED',
      `the database schema is older than this code (${code}): apply the pending migrations (npx mikro-orm migration:up)`,
      { cause: error },
    );
  }
  if (code === '57014') {
    return new PersistenceError('STATEMENT_TIMEOUT', 'the database took too long and the work was cancelled', {
      cause: error,
    });
  }
  if (
    error instanceof ConnectionException ||
    UNAVAILABLE_CODES.has(code) ||
    (error instanceof Error &&
      /Connection terminated|connection .*(closed|lost|error)|terminating connection|not queryable|Client was closed|timeout exceeded when trying to connect/i.test(
        error.message,
      ))
  ) {
    return new PersistenceError('DATABASE_UNAVAILABLE', 'the database connection was lost; nothing was saved', {
      cause: error,
    });
  }
  if (error instanceof DriverException) {
    return new PersistenceError('DATABASE_UNAVAILABLE', `the database refused the work (${code || 'error'})`, {
      cause: error,
    });
  }
  return error;
}
