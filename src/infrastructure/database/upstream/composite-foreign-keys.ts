/**
 * Upstream: @mikro-orm/sql 7.2.1 maps a foreign key only from a relation, and a relation only to its
 * target's primary key (`DatabaseTable.addColumnFromProperty`, sql/schema/DatabaseTable.js line
 * 167). A composite key to a *unique* key of the target — `(domain_id, owner_id) → domain (id,
 * owner_id)`, which keeps a row's owner equal to its domain's (issue #19) — has no mapping, so the
 * schema generator would drop it from a migrated database and `migration:create` would never write it.
 *
 * Workaround: the keys are declared beside the mappings (`persistence/mappings/owner-keys.ts`) and
 * `DatabaseSchema.fromMetadata`, which builds the schema the entities describe for the generator,
 * the comparator and the migrator's snapshot, adds them to their tables.
 *
 * Delete when: a relation can name the target's columns it references (a composite unique key).
 * Guarded by: test/infrastructure/migrations.test.ts (the migrated schema is the one the entities
 * describe, keys included) and test/security/tenant-owner.test.ts (each key refuses a wrong owner).
 */
import { DatabaseSchema, type DatabaseTable } from '@mikro-orm/sql';

/** One composite foreign key, as the comparator holds it. */
export interface CompositeForeignKey {
  table: string;
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  updateRule: 'cascade' | 'no action';
  deleteRule: 'cascade' | 'no action';
}

type ForeignKeys = ReturnType<DatabaseTable['getForeignKeys']>;

let declared: readonly CompositeForeignKey[] = [];
let patched = false;

/** Makes `DatabaseSchema.fromMetadata` add `keys` to their tables (once; a later call replaces the list). */
export function declareCompositeForeignKeys(keys: readonly CompositeForeignKey[]): void {
  declared = keys;
  if (patched) return;
  patched = true;
  const stock = DatabaseSchema.fromMetadata.bind(DatabaseSchema);
  DatabaseSchema.fromMetadata = (...args: Parameters<typeof DatabaseSchema.fromMetadata>) => {
    const schema = stock(...args);
    for (const table of schema.getTables()) {
      const mine = declared.filter((k) => k.table === table.name);
      if (mine.length === 0) continue;
      const existing = table.getForeignKeys() as ForeignKeys;
      // the referenced table is qualified as upstream qualifies the table's own keys
      const qualified = (name: string) => (table.schema ? `${table.schema}.${name}` : name);
      const added: ForeignKeys = { ...existing };
      for (const k of mine) {
        added[k.name] = {
          constraintName: k.name,
          columnNames: [...k.columns],
          localTableName: table.getShortestName(false),
          referencedColumnNames: [...k.referencedColumns],
          referencedTableName: qualified(k.referencedTable),
          // introspection leaves out the default action, so the declared key does too
          ...(k.updateRule === 'no action' ? {} : { updateRule: k.updateRule }),
          ...(k.deleteRule === 'no action' ? {} : { deleteRule: k.deleteRule }),
        } as ForeignKeys[string];
      }
      table.setForeignKeys(added);
    }
    return schema;
  };
}
