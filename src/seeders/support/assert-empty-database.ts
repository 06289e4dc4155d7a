import type { EntityManager } from '@mikro-orm/core';
import { User } from '../../domain/user.js';

/** A seeder refused to run because it would mix its world into existing data. */
export class DatabaseNotEmptyError extends Error {
  override readonly name = 'DatabaseNotEmptyError';
  // an expected refusal, not a bug: the CLI shows the message without a stack trace under it
  override readonly stack = `${this.name}: ${this.message}`;
}

/**
 * Seeders build a whole world or nothing: merging into existing data would duplicate it or fail
 * half-way on a unique address. So a database that already has users is refused, in one line
 * that says how to start over.
 */
export async function assertEmptyDatabase(em: EntityManager): Promise<void> {
  const users = await em.count(User);
  if (users > 0) {
    throw new DatabaseNotEmptyError(
      `the database already holds ${users} user${users === 1 ? '' : 's'}; ` +
        'run `npm run db:reset` (or `npx mikro-orm migration:fresh --seed`) to start over',
    );
  }
}
