import type { MikroORM } from '@mikro-orm/postgresql';
import type { UnitOfWork } from '../../application/unit-of-work.js';
import { translateDatabaseError } from './database-errors.js';

export function createUnitOfWork(orm: MikroORM): UnitOfWork {
  return async (work) => {
    const em = orm.em.fork({ clear: true, useContext: false });
    try {
      return await em.transactional((tx) => work(tx));
    } catch (error) {
      throw translateDatabaseError(error);
    }
  };
}
