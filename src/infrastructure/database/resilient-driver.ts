/**
 * MikroORM's PostgreSQL driver with the project's upstream workarounds composed in (each is its
 * own file under `upstream/`, with what it works around and when it can go):
 *
 * - values are sent as bound parameters, not inlined (`upstream/bound-parameters.ts`);
 * - a connection whose rollback failed on a dead connection still goes back to the pool
 *   (`upstream/release-after-failed-rollback.ts`);
 * - schema introspection sees only the schemas it compares (`upstream/schema-scoped-introspection.ts`);
 * - the composite owner keys, which no relation can map, are part of the schema the entities
 *   describe (`upstream/composite-foreign-keys.ts`).
 */
import { PostgreSqlDriver, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Configuration } from '@mikro-orm/core';
import { BoundParametersConnection } from './upstream/bound-parameters.js';
import { releaseAfterFailedRollback } from './upstream/release-after-failed-rollback.js';
import { scopeIntrospectionToSchemas } from './upstream/schema-scoped-introspection.js';
import { declareCompositeForeignKeys } from './upstream/composite-foreign-keys.js';
import { OWNER_FOREIGN_KEYS } from '../persistence/mappings/owner-keys.js';

class ResilientPostgreSqlConnection extends BoundParametersConnection {
  override createKyselyDialect(overrides: Parameters<PostgreSqlConnection['createKyselyDialect']>[0]) {
    return releaseAfterFailedRollback(super.createKyselyDialect(overrides)) as never;
  }
}

export class ResilientPostgreSqlDriver extends PostgreSqlDriver {
  constructor(config: Configuration) {
    super(config);
    scopeIntrospectionToSchemas(this.platform);
    declareCompositeForeignKeys(OWNER_FOREIGN_KEYS);
    Object.assign(this, {
      connection: new ResilientPostgreSqlConnection(this.config),
      replicas: this.createReplicas((conf) => new ResilientPostgreSqlConnection(this.config, conf, 'read')),
    });
  }
}
