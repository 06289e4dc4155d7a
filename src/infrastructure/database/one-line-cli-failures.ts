/**
 * For the `mikro-orm` CLI only (mikro-orm.config.ts): when a migration or seeding command fails,
 * print one `error: …` line and exit 1. Left to the CLI, a failure prints the whole yargs help of
 * the command first and then the error with its stack: `seeder:run` on a seeded database showed 14
 * lines of help before its one-line reason, `migration:up` as the application role 58 lines.
 *
 * Registered after the migrator and the seeder, it replaces their factories with ones whose public
 * entry points (the ones the CLI calls) end the process on failure; internal calls are untouched.
 */
import type { MikroORM } from '@mikro-orm/core';
import { SeedManager } from '@mikro-orm/seeder';
import { describeFailure } from './failure-line.js';
import { LockingMigrator } from './locking-migrator.js';

function endingInOneLine<T extends object>(target: T, methods: readonly (keyof T & string)[]): T {
  for (const name of methods) {
    const method = target[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(target, name, {
      value: async (...args: unknown[]) => {
        try {
          return await method.apply(target, args);
        } catch (error) {
          console.error(`error: ${describeFailure(error)}`);
          process.exit(1);
        }
      },
    });
  }
  return target;
}

export class OneLineCliFailures {
  static register(orm: MikroORM): void {
    orm.config.registerExtension('@mikro-orm/migrator', () =>
      endingInOneLine(new LockingMigrator(orm.em as never), [
        'up',
        'down',
        'create',
        'checkSchema',
        'getPending',
        'getExecuted',
      ]),
    );
    orm.config.registerExtension('@mikro-orm/seeder', () =>
      endingInOneLine(new SeedManager(orm.em), ['seed', 'seedString']),
    );
  }
}
