/**
 * Read models: queries that build views without entities (pages, reports, lookups), behind the
 * ports of `src/application/read-models.ts`.
 *
 * A MikroORM upgrade re-checks this folder: it leans on the ORM's internals where the public API
 * costs too much for a hot read — the query builder's SQL kept and re-bound (compiled-query.ts),
 * `getDriver().mapResult`, the replica choice of `getConnection('read')`, and joined columns
 * arriving unmapped from `execute('all')`. The tests under test/infrastructure/read-models and
 * the services' own tests pin each of these.
 */
import type { ReadModels } from '../../../application/read-models.js';
import { folderPage } from './email-page.js';
import { ownersByDomainPattern } from './owners-by-domain.js';
import { emailCountsPerUser, folderTotals, userTotals } from './statistics.js';

export const readModels: ReadModels = {
  folderPage,
  ownersByDomainPattern,
  userTotals,
  folderTotals,
  emailCountsPerUser,
};
