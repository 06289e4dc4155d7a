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
 *
 * And one addition of ours: the SQL of plain loads and of the flush's single-entity updates is
 * built once per shape and kept (`statement-cache.ts`).
 */
import { PostgreSqlDriver, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import type {
  Configuration,
  EntityData,
  EntityDictionary,
  EntityName,
  FilterQuery,
  FindOptions,
  NativeInsertUpdateOptions,
  ObjectQuery,
  QueryResult,
  UpsertOptions,
} from '@mikro-orm/core';
import { BoundParametersConnection } from './upstream/bound-parameters.js';
import { releaseAfterFailedRollback } from './upstream/release-after-failed-rollback.js';
import { scopeIntrospectionToSchemas } from './upstream/schema-scoped-introspection.js';
import { declareCompositeForeignKeys } from './upstream/composite-foreign-keys.js';
import { OWNER_FOREIGN_KEYS } from '../persistence/mappings/owner-keys.js';
import { StatementCache } from './statement-cache.js';

class ResilientPostgreSqlConnection extends BoundParametersConnection {
  override createKyselyDialect(overrides: Parameters<PostgreSqlConnection['createKyselyDialect']>[0]) {
    return releaseAfterFailedRollback(super.createKyselyDialect(overrides)) as never;
  }
}

export class ResilientPostgreSqlDriver extends PostgreSqlDriver {
  readonly #statements = new StatementCache(this as never);

  /** How the kept SQL of plain loads and updates is doing (statement-cache.ts). */
  get statementCache(): StatementCache['stats'] {
    return this.#statements.stats;
  }

  constructor(config: Configuration) {
    super(config);
    scopeIntrospectionToSchemas(this.platform);
    declareCompositeForeignKeys(OWNER_FOREIGN_KEYS);
    Object.assign(this, {
      connection: new ResilientPostgreSqlConnection(this.config),
      replicas: this.createReplicas((conf) => new ResilientPostgreSqlConnection(this.config, conf, 'read')),
    });
  }

  override async find<T extends object, P extends string = never, F extends string = never, E extends string = never>(
    entityName: EntityName<T>,
    where: ObjectQuery<T>,
    options: FindOptions<T, P, F, E> = {},
  ): Promise<EntityData<T>[]> {
    const kept = await this.#statements.find(entityName, where, options as never);
    return (kept as EntityData<T>[] | undefined) ?? super.find(entityName, where, options);
  }

  override async nativeUpdate<T extends object>(
    entityName: EntityName<T>,
    where: FilterQuery<T>,
    data: EntityDictionary<T>,
    options: NativeInsertUpdateOptions<T> & UpsertOptions<T> = {},
  ): Promise<QueryResult<T>> {
    const kept = await this.#statements.nativeUpdate(entityName, where, data, options as never);
    return (kept as QueryResult<T> | undefined) ?? super.nativeUpdate(entityName, where, data, options);
  }
}
