/**
 * Upstream: kysely 0.29.6 (`ControlledTransaction.rollback`, dist/kysely.js lines 804–810) runs
 * `await driver.rollbackTransaction(connection)` and only then `connection.release()`. When the
 * server has dropped the connection in the middle of a transaction (a restart,
 * `pg_terminate_backend`, a network cut) the rollback fails, the release never happens, and the
 * connection stays checked out of the pool for good: the pool shrinks with every such failure and
 * closing it hangs. @mikro-orm/sql 7.2.1 (`AbstractSqlConnection.transactional`) catches that
 * failed rollback and logs it, but has no way to release the connection either.
 *
 * Workaround: a dialect whose driver counts a failed rollback as done — the server has already
 * thrown the transaction away — so Kysely releases the connection and `pg` discards it (a client
 * that lost its connection is not queryable, and `pg-pool` removes it on release).
 *
 * Delete when: Kysely releases the connection of a failed rollback — the test "stock Kysely keeps
 * the connection checked out" then fails. Then drop the `createKyselyDialect` override in
 * `../resilient-driver.ts`.
 * Guarded by: test/infrastructure/upstream/failed-rollback-keeps-connection.test.ts (and, end to
 * end, test/reliability/faults.test.ts).
 */
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

/** The same dialect, except that a connection whose rollback failed still goes back to the pool. */
export function releaseAfterFailedRollback(dialect: Dialect): Dialect {
  return new ReleasingDialect(dialect);
}
