/**
 * Upstream: @mikro-orm/migrations 7.2.1 with @mikro-orm/sql 7.2.1 leaves table partitioning out of
 * the schema snapshot. `DatabaseTable.toJSON` (sql/schema/DatabaseTable.js line 1018) writes no
 * `partitioning`, and `Migrator.getSchemaFromSnapshot` (migrations/Migrator.js line 219) restores
 * none. The entities still declare `partitionBy`, so the snapshot always differs from them:
 * `migration:check` reports a partitioned table as drift for ever and `migration:create` keeps
 * generating a migration that partitions it again.
 *
 * Workaround: `PartitionKeepingMigrator` writes each table's partitioning into the snapshot after
 * upstream has stored it, and sets it on the tables upstream reads back.
 *
 * Delete when: the stock migrator keeps partitioning in its snapshot — the test "the stock
 * migrator drops partitioning from the snapshot it writes" then fails. Then `LockingMigrator`
 * (`../locking-migrator.ts`) extends `Migrator` again.
 * Guarded by: test/infrastructure/upstream/snapshot-drops-partitioning.test.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Migrator } from '@mikro-orm/migrations';
import type { DatabaseSchema, SqlSchemaGenerator } from '@mikro-orm/postgresql';

interface SnapshotTable {
  name: string;
  schema?: string;
  partitioning?: unknown;
}

export class PartitionKeepingMigrator extends Migrator {
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
