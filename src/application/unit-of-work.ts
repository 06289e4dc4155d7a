import type { EntityManager } from '@mikro-orm/postgresql';

export interface UnitOfWorkOptions {
  /**
   * Confines the unit of work to this user's rows with PostgreSQL row-level security: even a
   * query without a filter sees only what the user owns.
   */
  actingUserId?: string;
  /**
   * Only reads: runs without a transaction, so its reads may be served by a read replica (falling
   * back to the primary when none answers). Nothing is flushed.
   */
  readOnly?: boolean;
  /** Read from the primary even when read-only (read-after-write for a caller that just wrote). */
  primary?: boolean;
  /**
   * Reads one consistent snapshot: a READ ONLY, REPEATABLE READ transaction on the primary, so
   * several reads agree with each other and nothing can be written, even by mistake.
   */
  snapshot?: boolean;
}

/**
 * Runs one use case: a fresh entity manager (its own identity map), one transaction, one flush at
 * the end, database errors translated into domain errors. Nothing of a failed run is kept.
 */
export type UnitOfWork = <T>(work: (em: EntityManager) => Promise<T>, options?: UnitOfWorkOptions) => Promise<T>;
