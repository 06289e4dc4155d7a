/**
 * `npm run bench -- --partitioning`: issue #8's check that hash-partitioning `email` by mailbox
 * made no workload more than 10 % slower. The fixture is seeded once into a fully migrated (so
 * partitioned) database and copied (`create database … template …`) into a second one, where only
 * the partition migration is reverted by its own `down()`. Our side of every workload then runs on
 * both, interleaved as in the ours-vs-baseline run, each result checked against its own database;
 * the volume import runs once into an empty database of each kind.
 */
import assert from 'node:assert/strict';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { VOLUME_DEFAULTS } from '../src/seeders/VolumeSeeder.js';
import {
  interleave,
  machineInfo,
  openBenchDatabase,
  SEEDER_NODE_FLAGS,
  seedFixture,
  seedInChild,
  startRun,
  volumeImportOptions,
} from './harness.js';
import type { BenchDatabase, BenchmarkOptions, BenchmarkResult, BenchRun, SeederRun, Target } from './types.js';
import { defineWorkloads } from './workloads.js';
import { dropDatabase } from '../src/infrastructure/database/admin-client.js';
import { applyMigration, copyDatabase, createMigratedDatabase, revertMigration } from './database.js';
import { type Stats, summarize } from './stats.js';

export const PARTITION_MIGRATION = 'Migration20261125131052_partition_email_by_mailbox';
/**
 * Later migrations that add email columns or keys: the partition migration's down() rebuilds email with
 * the columns of its own day, so these are taken back before it and applied again after.
 */
const LATER_EMAIL_MIGRATIONS = [
  'Migration20261204142922_message_store',
  // the email table's folder-count triggers and the journal's folder_event column
  'Migration20261204162540_folder_tree',
  // thread_id, thread_keys and the search index
  'Migration20261204163116_threads_and_search',
  // the owner columns and keys on email's neighbours (mailbox_state is rebuilt by message_store)
  'Migration20261204163558_owner_on_every_tenant_row',
  // the folder-count triggers dropped (the application keeps the counts), every folder recounted
  'Migration20261204193340_folder_counts_kept_by_the_application',
  // email's key to its folder becomes (mailbox_id, folder_id) -> folder (mailbox_id, id)
  'Migration20261204201209_folder_keyed_by_mailbox',
  // the trigger email_uid_allocated dropped (the application keeps the rule)
  'Migration20261204201858_uid_allocation_kept_by_the_application',
  // email's key to message becomes (mailbox_id, content_hash): the message store kept per mailbox
  'Migration20261204225041_message_kept_per_mailbox',
  // not an email change: mailbox_usage's owner key needs the key owner_on_every_tenant_row adds on address
  'Migration20261204233959_mailbox_usage_off_the_directory',
];

/** `email` as it was before issue #8 (a plain table), with the columns later migrations added. */
async function unpartition(settings: DatabaseSettings): Promise<void> {
  for (const migration of [...LATER_EMAIL_MIGRATIONS].reverse()) await revertMigration(settings, migration);
  await revertMigration(settings, PARTITION_MIGRATION);
  for (const migration of LATER_EMAIL_MIGRATIONS) await applyMigration(settings, migration);
}

/** Partitioned ÷ unpartitioned median time, at most: no workload more than 10 % slower. */
const TARGET: Target = { maxRatio: 1.1, statistic: 'median', label: '≤ 1.10×' };
/** Partitioned ÷ unpartitioned volume import throughput, at least. */
const MIN_THROUGHPUT_RATIO = 0.9;

export interface EmailTable {
  database: string;
  /** `pg_class.relkind` of `email`: `p` partitioned, `r` a plain table. */
  relkind: string;
  partitions: number;
  rows: number;
}

export interface PartitioningWorkloadResult {
  name: string;
  description: string;
  unit: string;
  partitioned: Stats;
  unpartitioned: Stats;
  /** partitioned ÷ unpartitioned, medians. */
  ratio: number;
  target: Target;
  met: boolean;
  /** Iterations whose result was checked against its own database (warm-ups included), per side. */
  checked: { partitioned: number; unpartitioned: number };
  assertionsPassed: boolean;
}

export interface PartitioningVolumeResult {
  emails: number;
  nodeFlags: string;
  partitioned: SeederRun & { emailsPerSecond: number };
  unpartitioned: SeederRun & { emailsPerSecond: number };
  /** partitioned ÷ unpartitioned emails per second. */
  throughputRatio: number;
  target: { minThroughputRatio: number };
  met: boolean;
  assertionsPassed: boolean;
}

export interface PartitioningResult {
  smoke: boolean;
  startedAt: string;
  wallSeconds: number;
  machine: BenchmarkResult['machine'];
  fixture: BenchmarkResult['fixture'];
  migration: string;
  email: { partitioned: EmailTable; unpartitioned: EmailTable };
  workloads: PartitioningWorkloadResult[];
  volume: PartitioningVolumeResult;
  allTargetsMet: boolean;
  allAssertionsPassed: boolean;
}

/** Migrates `name` fully, then reverts the partition migration: `email` as it was before issue #8. */
async function createUnpartitionedDatabase(server: DatabaseSettings, name: string): Promise<DatabaseSettings> {
  const settings = await createMigratedDatabase(server, name);
  await unpartition(settings);
  return settings;
}

async function describeEmailTable(db: BenchDatabase): Promise<EmailTable> {
  const [row] = await db.q<{ relkind: string; partitions: number; rows: number }>(
    `select c.relkind, (select count(*)::int from pg_inherits i where i.inhparent = c.oid) as partitions,
       (select count(*)::int from email) as rows
     from pg_class c where c.oid = 'email'::regclass`,
  );
  return { database: db.settings.direct.database, ...row! };
}

export async function runPartitioningBenchmark(options: BenchmarkOptions = {}): Promise<PartitioningResult> {
  const run = await startRun(options, 'aether_bench_partitioning');
  const { started, startedAt, smoke, sizes, log, server, database: name } = run;
  const flatName = `${name}_flat`;
  const opened: BenchDatabase[] = [];

  try {
    // ---- one fixture, partitioned and not ---------------------------------------------------------------
    log(`[bench] partitioning ${smoke ? 'smoke' : 'full'} run: database ${name} (dropped, recreated, migrated)`);
    const partitionedSettings = await createMigratedDatabase(server, name);
    const seeding = await openBenchDatabase(partitionedSettings);
    let seedSeconds: number;
    try {
      seedSeconds = await seedFixture(seeding, sizes.fixture, log);
    } finally {
      await seeding.close(); // a template must have no connections
    }
    log(`[bench] copying ${name} to ${flatName} and reverting ${PARTITION_MIGRATION} there`);
    const flatSettings = await copyDatabase(server, name, flatName);
    await unpartition(flatSettings);
    for (const settings of [partitionedSettings, flatSettings]) {
      opened.push(await openBenchDatabase(settings, { schemaCheck: settings === partitionedSettings }));
    }
    const [partitioned, flat] = opened as [BenchDatabase, BenchDatabase];
    await flat.q('vacuum analyze');
    const email = { partitioned: await describeEmailTable(partitioned), unpartitioned: await describeEmailTable(flat) };
    assert.equal(email.partitioned.relkind, 'p', `email in ${name} is partitioned`);
    assert.equal(email.unpartitioned.relkind, 'r', `email in ${flatName} is a plain table`);
    assert.equal(email.unpartitioned.rows, email.partitioned.rows, 'both databases hold the same email');
    assert.ok(email.partitioned.rows >= sizes.fixture.emails);

    // ---- our side of every workload on both, interleaved ------------------------------------------------
    const workloads: PartitioningWorkloadResult[] = [];
    for (const spec of defineWorkloads(sizes)) {
      const onPartitioned = await spec.on(partitioned);
      const onFlat = await spec.on(flat);
      const { samples, checked } = await interleave(
        [
          ['partitioned', onPartitioned.ours(partitioned.aether)],
          ['unpartitioned', onFlat.ours(flat.aether)],
        ],
        spec.runs,
      );
      const stats = { partitioned: summarize(samples.partitioned), unpartitioned: summarize(samples.unpartitioned) };
      const ratio = stats.partitioned.median / stats.unpartitioned.median;
      const result: PartitioningWorkloadResult = {
        name: spec.name,
        description: onPartitioned.description,
        unit: spec.unit ?? 'ms per operation',
        ...stats,
        ratio,
        target: TARGET,
        met: ratio <= TARGET.maxRatio,
        checked,
        assertionsPassed: true,
      };
      workloads.push(result);
      log(
        `[bench] ${spec.name}: partitioned ${stats.partitioned.median.toFixed(2)} ms, unpartitioned ` +
          `${stats.unpartitioned.median.toFixed(2)} ms, ratio ${ratio.toFixed(2)} (target ≤ ${TARGET.maxRatio}) ${result.met ? 'met' : 'MISSED'}`,
      );
    }

    const volume = await volumeImport(run);
    return {
      smoke,
      startedAt,
      wallSeconds: (performance.now() - started) / 1000,
      machine: await machineInfo(partitioned),
      fixture: { ...sizes.fixture, bodyBytes: VOLUME_DEFAULTS.bodyBytes, seedSeconds },
      migration: PARTITION_MIGRATION,
      email,
      workloads,
      volume,
      allTargetsMet: workloads.every((w) => w.met) && volume.met,
      allAssertionsPassed: workloads.every((w) => w.assertionsPassed) && volume.assertionsPassed,
    };
  } finally {
    for (const db of opened) await db.close();
    if (!options.keep) {
      for (const database of [name, flatName]) await dropDatabase(server.direct, database).catch(() => {});
    } else log(`[bench] kept the database(s) on the server (--keep)`);
  }
}

/**
 * The volume seeder (child process) into an empty partitioned database, then into an empty
 * unpartitioned one. Partitioned goes first, so any first-run cost counts against it.
 */
async function volumeImport({
  server,
  database: name,
  smoke,
  sizes,
  log,
}: BenchRun): Promise<PartitioningVolumeResult> {
  const emails = sizes.volumeEmails;
  const volumeOptions = volumeImportOptions(smoke, emails);
  const runs = [
    ['partitioned', `${name}_volume`, createMigratedDatabase],
    ['unpartitioned', `${name}_volume_flat`, createUnpartitionedDatabase],
  ] as const;
  const seeded = {} as Record<(typeof runs)[number][0], SeederRun & { emailsPerSecond: number }>;
  for (const [kind, database, create] of runs) {
    log(`[bench] volume import (${kind}): ${emails} emails through the volume seeder (child process)`);
    try {
      const run = await seedInChild(await create(server, database), volumeOptions);
      seeded[kind] = { ...run, emailsPerSecond: emails / run.emailSeconds };
    } finally {
      await dropDatabase(server.direct, database);
    }
    log(
      `[bench] volume (${kind}): ${Math.round(seeded[kind].emailsPerSecond)} emails/s, peak RSS ${seeded[kind].peakRssMiB.toFixed(0)} MiB`,
    );
  }
  const throughputRatio = seeded.partitioned.emailsPerSecond / seeded.unpartitioned.emailsPerSecond;
  return {
    emails,
    nodeFlags: SEEDER_NODE_FLAGS.join(' '),
    ...seeded,
    throughputRatio,
    target: { minThroughputRatio: MIN_THROUGHPUT_RATIO },
    met: throughputRatio >= MIN_THROUGHPUT_RATIO,
    assertionsPassed: true,
  };
}
