import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs one use case: a fresh entity manager (its own identity map), one transaction, one flush at
 * the end, database errors translated into domain errors. Nothing of a failed run is kept.
 */
export type UnitOfWork = <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>;
