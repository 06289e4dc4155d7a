import type { MikroORM } from '@mikro-orm/postgresql';
import type { UnitOfWork } from '../../application/unit-of-work.js';
import { translateDatabaseError } from './database-errors.js';
import { ACTING_USER_SETTING } from './mappings/tenant-policy.js';

export function createUnitOfWork(orm: MikroORM): UnitOfWork {
  return async (work, options = {}) => {
    const em = orm.em.fork({ clear: true, useContext: false });
    // transaction-local (set_config(…, true)), so it is safe behind a transaction-mode pooler
    if (options.actingUserId) em.setSessionContext({ variables: { [ACTING_USER_SETTING]: options.actingUserId } });
    try {
      return await em.transactional((tx) => work(tx));
    } catch (error) {
      throw translateDatabaseError(error);
    }
  };
}
