/**
 * Migrations are written schema-less and run inside the configured schema (`?schema=`), so the
 * committed snapshot (`migrations/.snapshot.json`) describes the entities in the default schema.
 * Comparing it with the entities as configured for `?schema=foo` would see every table move from
 * `public` to `foo`: `migration:check` reported drift and `migration:create` wrote a migration that
 * re-created every table. Both comparisons are therefore made as if the schema were the default
 * one; what they produce (SQL without a schema, the snapshot) is the same under any `?schema=`.
 */
import { PartitionKeepingMigrator } from './upstream/snapshot-partitioning.js';

export class SchemaLessMigrator extends PartitionKeepingMigrator {
  override async create(...args: Parameters<PartitionKeepingMigrator['create']>) {
    return this.inDefaultSchema(() => super.create(...args));
  }

  override async checkSchema(): Promise<boolean> {
    return this.inDefaultSchema(() => super.checkSchema());
  }

  /** Without a snapshot the diff is made against the database itself, in its own schema. */
  private async inDefaultSchema<T>(work: () => Promise<T>): Promise<T> {
    // private in MikroORM's typings: whether migrations/.snapshot.json exists
    const offline = await (this as unknown as { hasSnapshot(): Promise<boolean> }).hasSnapshot();
    if (!offline) return work();
    const configured = this.config.get('schema');
    this.config.set('schema', this.config.getPlatform().getDefaultSchemaName());
    try {
      return await work();
    } finally {
      this.config.set('schema', configured);
    }
  }
}
