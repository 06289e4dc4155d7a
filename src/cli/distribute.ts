/**
 * `npm run db:distribute`: turns a migrated database on a Citus coordinator into the cluster
 * docs/scaling.md plans — reference tables first, then each co-location group from its root — from
 * the one plan in src/infrastructure/database/distribution-plan.ts. It checks the live schema against
 * the rules Citus enforces first and refuses, naming each, when the schema breaks one. Then it
 * rebuilds the locally partitioned message store plain (table-rebuild.ts: Citus shards are its
 * partitions from now on, and a partitioned table in the foreign-key graph would make
 * create_reference_table fail), and distributes. `--dry-run` prints what it would do without
 * connecting to Citus (it still reads the schema it checks).
 */
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { withAdminClient } from '../infrastructure/database/admin-client.js';
import {
  distributionRuleViolations,
  distributionStatements,
  foreignKeyTargets,
  tablesToUnpartition,
} from '../infrastructure/database/distribution-plan.js';
import { isPartitioned, rebuildTable } from '../infrastructure/database/table-rebuild.js';
import { commandLine, fail, run } from './command-line.js';

const values = commandLine(
  `Usage: npm run db:distribute -- [--dry-run] [--shard-count N]

Distributes the migrated database of DATABASE_URL over Citus as docs/scaling.md plans: the
directory as reference tables, mail distributed and co-located by mailbox. Run it once, as the
schema owner, on the coordinator, after migration:up. It refuses when the citus extension is absent
or when the schema breaks a rule Citus enforces (the plan test's rules), naming each.

  --dry-run          print the SQL it would run, and the rules the schema breaks, and change nothing
  --shard-count N    shards of each co-location group (default: Citus's citus.shard_count)
  -h, --help         show this help`,
  { 'dry-run': { type: 'boolean', default: false }, 'shard-count': { type: 'string' } },
);
const dryRun = values['dry-run']!;
const shardText = values['shard-count'];
const shardCount = shardText === undefined ? undefined : Number(shardText);
if (shardCount !== undefined && !(Number.isInteger(shardCount) && shardCount >= 1 && shardCount <= 64_000)) {
  fail(`--shard-count "${shardText}" is not a whole number of shards between 1 and 64000`);
}
const settings = await openSchemaSettings();
const schema = settings.direct.schema;
await run(() =>
  withAdminClient(settings.direct, async (client) => {
    const query = async <T>(text: string, params: unknown[]) => (await client.query(text, params)).rows as T[];
    const violations = await distributionRuleViolations(query, schema);
    const statements = distributionStatements(schema, undefined, shardCount, await foreignKeyTargets(query, schema));
    const unpartition: string[] = [];
    for (const table of tablesToUnpartition()) if (await isPartitioned(client, schema, table)) unpartition.push(table);
    if (dryRun) {
      for (const v of violations) console.log(`-- Citus would refuse: ${v}`);
      for (const t of unpartition)
        console.log(
          `-- rebuilds ${t} without its local partitions (rows, keys, indexes, triggers, policies and grants kept)`,
        );
      console.log(statements.join('\n'));
      return;
    }
    const [citus] = await query<{ present: boolean }>(
      `select exists (select 1 from pg_extension where extname = 'citus') as present`,
      [],
    );
    if (!citus!.present) {
      throw new Error(
        'the citus extension is not installed in this database: run it on a Citus coordinator (create extension citus), or use --dry-run to see the SQL',
      );
    }
    if (violations.length > 0) {
      throw new Error(
        `the schema breaks ${violations.length} rule(s) Citus enforces, nothing was distributed: ${violations.join('; ')}`,
      );
    }
    for (const table of unpartition) {
      const rows = await rebuildTable(client, schema, table, { kind: 'plain' });
      console.log(`-- rebuilt ${table} without its local partitions (${rows} rows)`);
    }
    await client.query(`set search_path to ${client.escapeIdentifier(schema)}`);
    for (const statement of statements) {
      console.log(statement);
      await client.query(statement);
    }
    console.log(`Distributed ${statements.length} tables of schema ${schema}.`);
  }),
);
