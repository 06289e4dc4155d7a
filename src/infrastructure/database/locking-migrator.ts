/**
 * MikroORM's migrator, made safe for deploys that start at the same moment: `up` and `down` hold
 * a PostgreSQL advisory lock (per database and schema) on a connection of their own for as long
 * as they run. A second `migration:up` waits, then finds nothing pending. A failing migration is
 * named in the error; it ran in its own transaction, so nothing of it stays.
 *
 * It also keeps table partitioning in the schema snapshot, which MikroORM 7.2 leaves out of it
 * (so `migration:check` would otherwise report a partitioned table as drift for ever).
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { DatabaseSchema, PostgreSqlConnection, SqlSchemaGenerator } from '@mikro-orm/postgresql';

const LOCK_NAMESPACE = 'aether-migrations';

export class LockingMigrator extends Migrator {
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

  protected override async storeCurrentSchema(schema?: DatabaseSchema): Promise<void> {
    await super.storeCurrentSchema(schema);
    const source =
      schema ?? this.config.getExtension<SqlSchemaGenerator>('@mikro-orm/schema-generator')!.getTargetSchema();
    const path = await this.snapshotPath();
    const data = JSON.parse(await readFile(path, 'utf8')) as { tables: SnapshotTable[] };
    for (const table of data.tables) {
      const partitioning = source
        .getTables()
        .find((t) => t.name === table.name && t.schema === table.schema)
        ?.getPartitioning();
      if (partitioning) table.partitioning = partitioning;
    }
    await writeFile(path, JSON.stringify(data, null, 2));
  }

  protected override async getSchemaFromSnapshot(): Promise<DatabaseSchema | undefined> {
    const schema = await super.getSchemaFromSnapshot();
    if (!schema) return schema;
    const data = JSON.parse(await readFile(await this.snapshotPath(), 'utf8')) as { tables: SnapshotTable[] };
    for (const table of schema.getTables()) {
      const stored = data.tables.find((t) => t.name === table.name && t.schema === table.schema);
      if (stored?.partitioning) table.setPartitioning(stored.partitioning as never);
    }
    return schema;
  }

  private snapshotPath(): Promise<string> {
    // private in MikroORM's typings, but the one place that knows where the snapshot lives
    return (this as unknown as { getSnapshotPath(): Promise<string> }).getSnapshotPath();
  }
}

interface SnapshotTable {
  name: string;
  schema?: string;
  partitioning?: unknown;
}
