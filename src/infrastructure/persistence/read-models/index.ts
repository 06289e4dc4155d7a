/**
 * Read models: queries that build views without entities (pages, reports, lookups), behind the
 * ports of `src/application/read-models.ts`.
 *
 * A MikroORM upgrade re-checks this folder: it leans on the ORM's internals where the public API
 * costs too much for a hot read — the query builder's SQL kept and re-bound (compiled-query.ts),
 * `getDriver().mapResult`, the replica choice of `getConnection('read')`, and joined columns
 * arriving unmapped from `execute('all')`. Pinned by test/infrastructure/read-models (the compiled
 * query, the email page), test/scale/replicas.test.ts (which connection a read takes) and the
 * services' tests (owners by suffix in mail-flow and readme-examples, statistics in mail-flow).
 *
 * A new read model goes here, one per file; its port (the interface and the view it returns) goes
 * in src/application/read-models.ts when a use case calls it, and aether.ts hands it in.
 */
import type { HoldingsReads, KeyedPageReads, ReadModels } from '../../../application/read-models.js';
import { folderPage } from './email-page.js';
import { domainTotalsOf, userTotalsOf } from './holdings.js';
import { keyedPage } from './keyed-page.js';
import { ownersByDomainPattern } from './owners-by-domain.js';
import { emailCountsPerUser, folderTotals, userTotals } from './statistics.js';

export const readModels: ReadModels = {
  folderPage,
  ownersByDomainPattern,
  userTotals,
  folderTotals,
  emailCountsPerUser,
};

/** The studio's list reads: keyed pages and what each listed user or domain holds. */
export const listReads: HoldingsReads & KeyedPageReads = { userTotalsOf, domainTotalsOf, keyedPage };
