/**
 * MikroORM's migrator, made safe for deploys that start at the same moment: `up` and `down` hold
 * a PostgreSQL advisory lock (per database and schema) on a connection of their own for as long
 * as they run. A second `migration:up` waits, then finds nothing pending. A failing migration is
 * named in the error; it ran in its own transaction, so nothing of it stays.
 *
 * It builds on `upstream/snapshot-partitioning.ts` (a workaround: the stock snapshot drops table
 * partitioning); when that goes, this extends `Migrator` from `@mikro-orm/migrations` again.
 */
import type { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { SchemaLessMigrator } from './schema-less-migrator.js';

const LOCK_NAMESPACE = 'aether-migrations';

export class LockingMigrator extends SchemaLessMigrator {
  static {
    // MikroORM.init() adds the stock Migrator unless an extension named "Migrator" is configured
    Object.defineProperty(this, 'name', { value: 'Migrator' });
  }

  static override register(orm: MikroORM): void {
    orm.config.registerExtension('@mikro-orm/migrator', () => new LockingMigrator(orm.em as never));
  }

  override async up(options?: Parameters<Migrator['up']>[0]) {
    return this.whileLocked('up', () => super.up(options));
  }

  override async down(options?: Parameters<Migrator['down']>[0]) {
    return this.whileLocked('down', () => super.down(options));
  }

  private async whileLocked<T>(direction: 'up' | 'down', work: () => Promise<T>): Promise<T> {
    const pool = await (this.config.getDriver().getConnection() as PostgreSqlConnection).getNativeClient();
    const client = await pool.connect();
    const key = `${LOCK_NAMESPACE}:${this.config.get('schema') ?? 'public'}`;
    try {
      // session-level lock on a direct connection (migrations never go through the pooler)
      await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
      return await this.naming(direction, work);
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => {});
      client.release();
    }
  }

  /** Runs the work and, when a migration fails, says which one. */
  private async naming<T>(direction: 'up' | 'down', work: () => Promise<T>): Promise<T> {
    let current: string | undefined;
    const track = (event: { name: string }) => {
      current = event.name;
    };
    const done = () => {
      current = undefined;
    };
    const [before, after] =
      direction === 'up' ? (['migrating', 'migrated'] as const) : (['reverting', 'reverted'] as const);
    this.on(before, track).on(after, done);
    try {
      return await work();
    } catch (error) {
      if (!current) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`migration ${current} (${direction}) failed and was rolled back: ${reason}`, { cause: error });
    } finally {
      this.off(before, track).off(after, done);
    }
  }
}
