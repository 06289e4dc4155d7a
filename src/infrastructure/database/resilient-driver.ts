/**
 * MikroORM's PostgreSQL driver with one repair: when the server drops a connection in the middle
 * of a transaction (a restart, `pg_terminate_backend`, a network cut), the rollback that follows
 * fails on the dead connection, and Kysely then never hands that connection back to the pool. The
 * pool shrinks for good and closing it hangs. Here a failed rollback counts as done — the server
 * has already thrown the transaction away — so Kysely releases the connection and `pg` discards it.
 */
import { PostgreSqlConnection, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Configuration } from '@mikro-orm/core';
import type { DatabaseConnection, Dialect, Driver, Kysely, TransactionSettings } from 'kysely';

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

class ResilientPostgreSqlConnection extends PostgreSqlConnection {
  override createKyselyDialect(overrides: Parameters<PostgreSqlConnection['createKyselyDialect']>[0]) {
    return new ReleasingDialect(super.createKyselyDialect(overrides)) as never;
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
