import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { discardRecordedEvents, writeRecordedEvents } from '../../application/events/outbox.js';
import { discardFolderCounts, writeFolderCounts } from '../../application/mail-counters.js';
import type { UnitOfWork } from '../../application/unit-of-work.js';
import { isDomainError } from '../../domain/errors.js';
import { translateDatabaseError } from './database-errors.js';
import { ACTING_USER_SETTING } from './mappings/tenant-policy.js';

/**
 * Units of work on an ORM. Writes run in one transaction on the primary (so they read their own
 * writes). Read-only work runs without a transaction: one round trip less per query, and with
 * read replicas configured its reads go to a replica — or to the primary when no replica answers.
 */
export function createUnitOfWork(
  orm: MikroORM,
  {
    hasReplicas = false,
    transactionSettings = {} as Record<string, string>,
    // the benchmark's "without the outbox" side only: the same units of work, their recorded events dropped
    writeEvents = true,
  } = {},
): UnitOfWork {
  const fork = () => orm.em.fork({ clear: true, useContext: false });
  const translate = (error: unknown) => translateDatabaseError(error);

  return async (work, options = {}) => {
    if (options.readOnly && !options.actingUserId && !options.primary && !options.snapshot) {
      try {
        return await work(fork());
      } catch (error) {
        const translated = translate(error);
        if (!hasReplicas || !isDomainError(translated, 'DATABASE_UNAVAILABLE')) throw translated;
        // the replica is down or unreachable: the primary answers instead (in a transaction, which it always serves)
      }
    }
    const em = fork();
    // transaction-local (set_config(…, true)), so it is safe behind a transaction-mode pooler
    const variables = {
      ...transactionSettings,
      ...(options.actingUserId ? { [ACTING_USER_SETTING]: options.actingUserId } : {}),
    };
    if (Object.keys(variables).length > 0) em.setSessionContext({ variables });
    // the events the use case recorded go into the outbox in its own transaction, last
    let inner: EntityManager | undefined;
    try {
      const snapshot = options.snapshot ? { readOnly: true, isolationLevel: IsolationLevel.REPEATABLE_READ } : {};
      return await em.transactional(async (tx) => {
        inner = tx;
        const result = await work(tx);
        // the folder counts the use case changed (emails leaving folders, \Seen changes), one statement
        await writeFolderCounts(tx);
        if (writeEvents) await writeRecordedEvents(tx);
        else discardRecordedEvents(tx);
        return result;
      }, snapshot);
    } catch (error) {
      if (inner) {
        discardRecordedEvents(inner);
        discardFolderCounts(inner);
      }
      throw translate(error);
    }
  };
}
