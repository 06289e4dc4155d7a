/**
 * MikroORM's PostgreSQL driver with two changes.
 *
 * Values are bound, not inlined: see `bound-parameters.ts`.
 *
 * A repair: when the server drops a connection in the middle
 * of a transaction (a restart, `pg_terminate_backend`, a network cut), the rollback that follows
 * fails on the dead connection, and Kysely then never hands that connection back to the pool. The
 * pool shrinks for good and closing it hangs. Here a failed rollback counts as done — the server
 * has already thrown the transaction away — so Kysely releases the connection and `pg` discards it.
 */
import { PostgreSqlConnection, PostgreSqlDriver, type Transaction } from '@mikro-orm/postgresql';
import { type Configuration, isRaw, type LoggingOptions } from '@mikro-orm/core';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type TransactionSettings,
} from 'kysely';
import { bindParameters } from './bound-parameters.js';

class ReleasingDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init() {
    return this.inner.init();
  }
  acquireConnection() {
    return this.inner.acquireConnection();
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction(connection, settings);
  }
  commitTransaction(connection: DatabaseConnection) {
    return this.inner.commitTransaction(connection);
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(connection);
  }
  destroy() {
    return this.inner.destroy();
  }
  async savepoint(...args: Parameters<NonNullable<Driver['savepoint']>>) {
    return this.inner.savepoint!(...args);
  }
  async rollbackToSavepoint(...args: Parameters<NonNullable<Driver['rollbackToSavepoint']>>) {
    return this.inner.rollbackToSavepoint!(...args);
  }
  async releaseSavepoint(...args: Parameters<NonNullable<Driver['releaseSavepoint']>>) {
    return this.inner.releaseSavepoint!(...args);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(connection);
    } catch {
      // the connection is gone and its transaction with it; let Kysely release it
    }
  }
}

class ReleasingDialect implements Dialect {
  constructor(private readonly inner: Dialect) {}
  createDriver() {
    return new ReleasingDriver(this.inner.createDriver());
  }
  createAdapter() {
    return this.inner.createAdapter();
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return this.inner.createIntrospector(db);
  }
}

type ExecuteArgs = Parameters<PostgreSqlConnection['execute']>;
type AbortOptions = Parameters<Kysely<unknown>['executeQuery']>[1];

class ResilientPostgreSqlConnection extends PostgreSqlConnection {
  override createKyselyDialect(overrides: Parameters<PostgreSqlConnection['createKyselyDialect']>[0]) {
    return new ReleasingDialect(super.createKyselyDialect(overrides)) as never;
  }

  /** Sends a query with values as bound parameters; a query without values goes as it is. */
  override async execute<T>(
    query: ExecuteArgs[0],
    params: ExecuteArgs[1] = [],
    method: ExecuteArgs[2] = 'all',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    const [sql, values] = isRaw(query) ? [query.sql, query.params] : [query, params];
    if (typeof sql !== 'string' || !Array.isArray(values) || values.length === 0) {
      return super.execute(query, params, method, ctx, loggerContext) as Promise<T>;
    }
    await this.ensureConnection();
    const original = this.config.get('onQuery')(sql, values);
    const bound = bindParameters(original, values, this.platform);
    const { signal, inflightQueryAbortStrategy, ...context } = (loggerContext ?? {}) as LoggingOptions & AbortOptions;
    const abort = signal || inflightQueryAbortStrategy ? { signal, inflightQueryAbortStrategy } : undefined;
    // the log shows the query as MikroORM would have sent it, values written in only if asked for
    const logger = this.config.getLogger();
    const withValues = logger.isEnabled('query', context) && logger.isEnabled('query-params', context);
    const logged = withValues ? this.platform.formatQuery(original, values) : original;
    return this.executeQuery(
      logged,
      async () => {
        const compiled = CompiledQuery.raw(bound.text, bound.values);
        const result = await (ctx ?? this.getClient()).executeQuery(compiled, abort);
        return this.transformRawResult(result, method);
      },
      { query: original, params: values, ...context },
    ) as Promise<T>;
  }
}

export class ResilientPostgreSqlDriver extends PostgreSqlDriver {
  constructor(config: Configuration) {
    super(config);
    Object.assign(this, {
      connection: new ResilientPostgreSqlConnection(this.config),
      replicas: this.createReplicas((conf) => new ResilientPostgreSqlConnection(this.config, conf, 'read')),
    });
  }
}
