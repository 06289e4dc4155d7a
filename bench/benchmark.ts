/**
 * The benchmark: the data layer (application services on MikroORM) side by side with a
 * hand-written `pg` baseline, on a database of its own filled by the volume seeder.
 * `runBenchmark()` is what `npm run bench` and the smoke test call. Each workload is defined once,
 * in bench/workloads.ts, as a function of the database it runs on, and measured by one routine
 * (`interleave`), so bench/partitioning.ts runs the same workloads on two databases.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type Aether, openAether } from '../src/infrastructure/aether.js';
import { type DatabaseSettings, resolveDatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { seedVolume, VOLUME_DEFAULTS, VOLUME_NODE_FLAGS, type VolumeOptions } from '../src/seeders/VolumeSeeder.js';
import { volumeUserEmail, type VolumeSize } from '../src/seeders/support/volume-layout.js';
import { dropDatabase, plainPool } from '../src/infrastructure/database/admin-client.js';
import { createMigratedDatabase } from './database.js';
import { type Stats, median, summarize } from './stats.js';
import { importVolumeBaseline } from './volume-baseline.js';
import { defineWorkloads, type Workload } from './workloads.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BenchmarkOptions {
  /** Tiny fixture, few iterations: checks that everything works (timings mean nothing). */
  smoke?: boolean;
  /** Emails in the volume import (the 1,000,000 by default; 10,000 in smoke mode). */
  volumeEmails?: number;
  /** Name of the benchmark's database (dropped and recreated); `aether_bench` by default. */
  database?: string;
  /** Where progress lines go. */
  log?: (line: string) => void;
  /** Settings of the server to run on; from the environment (or the embedded PostgreSQL) by default. */
  settings?: DatabaseSettings;
}

export interface Target {
  /** ours ÷ baseline must be at most this. */
  maxRatio: number;
  statistic: 'median';
  label: string;
}

export interface WorkloadResult {
  name: string;
  description: string;
  unit: string;
  ours: Stats;
  baseline: Stats;
  /** A faster-than-baseline reference (COPY for bulk delivery), if any. */
  floor?: Stats & { label: string };
  ratio: number;
  target: Target;
  met: boolean;
  /** SQL statements one operation of ours issued (begin/commit included), and the baseline's. */
  statements: { ours: number; baseline: number };
  /** Iterations whose result was checked (warm-ups included), per side. */
  checked: { ours: number; baseline: number; floor?: number };
  assertionsPassed: boolean;
  notes: string[];
}

export interface VolumeImportResult {
  emails: number;
  ours: {
    emailSeconds: number;
    emailsPerSecond: number;
    directorySeconds: number;
    peakRssMiB: number;
    nodeFlags: string;
  };
  baseline: { emailSeconds: number; emailsPerSecond: number };
  throughputRatio: number;
  targets: { minThroughputRatio: number; maxPeakRssMiB: number };
  met: boolean;
  assertionsPassed: boolean;
}

export interface ColdStartResult {
  runs: number;
  processStartMs: number;
  importMs: number;
  initMs: number;
  firstQueryMs: number;
  totalMs: number;
}

export interface BenchmarkResult {
  smoke: boolean;
  startedAt: string;
  wallSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; postgres: string; platform: string };
  fixture: VolumeSize & { bodyBytes: number; seedSeconds: number };
  workloads: WorkloadResult[];
  volume: VolumeImportResult;
  coldStart: ColdStartResult;
  allTargetsMet: boolean;
  allAssertionsPassed: boolean;
}

export interface Sizes {
  fixture: VolumeSize;
  bulk: number;
  bulkRuns: [warm: number, measured: number];
  single: [number, number];
  page: [number, number];
  owners: [number, number];
  counts: [number, number];
  lcs: [number, number];
  volumeEmails: number;
  coldStarts: number;
}

const FULL: Sizes = {
  fixture: { users: 1_000, domains: 2_000, mailboxes: 4_000, emails: 200_000, hot: 50_000 },
  bulk: 10_000,
  bulkRuns: [2, 8],
  single: [50, 500],
  page: [50, 400],
  owners: [5, 40],
  counts: [3, 20],
  lcs: [50, 500],
  // about 2 minutes for the seeder and 2 for the baseline on 2 quiet cores; `--volume-emails N`
  // (or BENCH_VOLUME_EMAILS) picks another size
  volumeEmails: 1_000_000,
  coldStarts: 3,
};

const SMOKE: Sizes = {
  fixture: { users: 20, domains: 40, mailboxes: 80, emails: 2_000, hot: 500 },
  bulk: 1_000,
  bulkRuns: [1, 2],
  single: [5, 20],
  page: [3, 10],
  owners: [2, 5],
  counts: [2, 5],
  lcs: [3, 10],
  volumeEmails: 10_000,
  coldStarts: 1,
};

interface Side<T> {
  run: (i: number) => Promise<T>;
  verify: (result: T, i: number) => Promise<void> | void;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each workload's result type is its own
export type AnySide = Side<any>;

/** Counts the SQL statements sent while `work` runs. */
export type StatementCounter = (work: () => Promise<unknown>) => Promise<number>;

export type Query = <R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  params?: unknown[],
) => Promise<R[]>;

/** One database the workloads run on: the application on it, and a plain pool for the baseline and the checks. */
export interface BenchDatabase {
  settings: DatabaseSettings;
  aether: Aether;
  pool: pg.Pool;
  q: Query;
  /** Counts what the pool sends (the baseline's statements). */
  countStatements: StatementCounter;
  close(): Promise<void>;
}

/** The sizes of a run: the smoke or the full ones, with the volume import's size if given. */
function benchmarkSizes(smoke: boolean, volumeEmails?: number): Sizes {
  return { ...(smoke ? SMOKE : FULL), ...(volumeEmails === undefined ? {} : { volumeEmails }) };
}

/** A pg pool that counts the statements it sends while `counting` is on. */
function countingPool(pool: pg.Pool): { pool: pg.Pool; count: StatementCounter } {
  let counting = false;
  let n = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
      if (counting) n++;
      return query(...args);
    };
  });
  return {
    pool,
    count: async (work) => {
      n = 0;
      counting = true;
      try {
        await work();
      } finally {
        counting = false;
      }
      return n;
    },
  };
}

export async function openBenchDatabase(settings: DatabaseSettings): Promise<BenchDatabase> {
  const aether = await openAether({ settings, debug: false });
  const { pool, count } = countingPool(plainPool(settings.direct));
  const q: Query = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
    (await pool.query<R>(text, params)).rows;
  return {
    settings,
    aether,
    pool,
    q,
    countStatements: count,
    close: async () => {
      await aether.close();
      await pool.end();
    },
  };
}

/** Fills the database with the fixture through the volume seeder, then `vacuum analyze`; returns the seconds taken. */
export async function seedFixture(db: BenchDatabase, size: VolumeSize, log: (line: string) => void): Promise<number> {
  log(
    `[bench] seeding the fixture: ${size.users} users, ${size.domains} domains, ${size.mailboxes} mailboxes, ${size.emails} emails (hot ${size.hot})`,
  );
  const t = performance.now();
  await seedVolume(db.aether.orm.em, {
    users: size.users,
    domains: size.domains,
    mailboxes: size.mailboxes,
    emails: size.emails,
    hotMailboxEmails: size.hot,
    bodyBytes: VOLUME_DEFAULTS.bodyBytes,
  });
  await db.q('vacuum analyze');
  const seedSeconds = (performance.now() - t) / 1000;
  log(`[bench] fixture seeded in ${seedSeconds.toFixed(1)} s`);
  return seedSeconds;
}

export async function machineInfo(db: BenchDatabase): Promise<BenchmarkResult['machine']> {
  const [row] = await db.q<{ v: string }>("select current_setting('server_version') as v");
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgres: String(row!.v),
    platform: `${os.platform()} ${os.release()}`,
  };
}

/**
 * Runs the sides interleaved, alternating which goes first each round: the warm-up rounds, then
 * the measured ones. Every result is verified; iterations are numbered 0, 1, … across the sides.
 */
export async function interleave<K extends string>(
  sides: [K, AnySide][],
  [warm, measured]: [number, number],
): Promise<{ samples: Record<K, number[]>; checked: Record<K, number>; iterations: number }> {
  const samples = Object.fromEntries(sides.map(([key]) => [key, []])) as unknown as Record<K, number[]>;
  const checked = Object.fromEntries(sides.map(([key]) => [key, 0])) as Record<K, number>;
  let i = 0;
  for (let round = 0; round < warm + measured; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const [key, side] of order) {
      const n = i++;
      const t0 = performance.now();
      const result = await side.run(n);
      const ms = performance.now() - t0;
      await side.verify(result, n);
      checked[key]++;
      if (round >= warm) samples[key].push(ms);
    }
  }
  return { samples, checked, iterations: i };
}

/** Runs iteration `i` of `side` under `count`, verifies it and returns its statement count. */
async function statementsOf(side: AnySide, i: number, count: StatementCounter): Promise<number> {
  let result: unknown;
  const n = await count(async () => {
    result = await side.run(i);
  });
  await side.verify(result, i);
  return n;
}

export type BenchRun = Awaited<ReturnType<typeof startRun>>;

/** What every run starts from: its options resolved, the clock started. */
export async function startRun(options: BenchmarkOptions, defaultDatabase: string) {
  const smoke = options.smoke ?? false;
  return {
    started: performance.now(),
    startedAt: new Date().toISOString(),
    smoke,
    sizes: benchmarkSizes(smoke, options.volumeEmails),
    log: options.log ?? ((line: string) => console.error(line)),
    server: options.settings ?? (await resolveDatabaseSettings()),
    database: options.database ?? (smoke ? `${defaultDatabase}_smoke` : defaultDatabase),
  };
}

export async function runBenchmark(options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const run = await startRun(options, 'aether_bench');
  const { started, startedAt, smoke, sizes, log, server, database: dbName } = run;
  const size = sizes.fixture;
  const bodyBytes = VOLUME_DEFAULTS.bodyBytes;

  log(`[bench] ${smoke ? 'smoke' : 'full'} run: database ${dbName} (dropped, recreated, migrated)`);
  const settings = await createMigratedDatabase(server, dbName);
  const db = await openBenchDatabase(settings);
  const statements: string[] = [];
  const counted = await openAether({
    settings: { ...settings, poolMax: 2 },
    debug: true,
    logger: (line) => {
      if (line.startsWith('[query]')) statements.push(line);
    },
  });
  const countOurs: StatementCounter = async (work) => {
    statements.length = 0;
    await work();
    return statements.length;
  };

  try {
    const seedSeconds = await seedFixture(db, size, log);
    const machine = await machineInfo(db);
    const workloads: WorkloadResult[] = [];

    // each workload: ours and the baseline (and the floor) interleaved, then the statements of one operation
    for (const spec of defineWorkloads(sizes)) {
      const bound = await spec.on(db);
      const { samples, checked, iterations } = await interleave(
        [
          ['ours', bound.ours(db.aether)],
          ['baseline', bound.baseline],
          ...(bound.floor ? [['floor', bound.floor] as ['floor', AnySide]] : []),
        ],
        spec.runs,
      );
      // ours through the logging instance, the baseline through its pool
      const oursStatements = await statementsOf(bound.ours(counted), iterations, countOurs);
      const baselineStatements = await statementsOf(bound.baseline, iterations + 1, db.countStatements);
      const notes = [...(spec.notes ?? [])];
      const extra = await spec.countCheck?.(counted, countOurs);
      if (extra) notes.push(extra);
      const oursStats = summarize(samples.ours);
      const baseStats = summarize(samples.baseline);
      const ratio = oursStats.median / baseStats.median;
      const result: WorkloadResult = {
        name: spec.name,
        description: bound.description,
        unit: spec.unit ?? 'ms per operation',
        ours: oursStats,
        baseline: baseStats,
        ...(bound.floor ? { floor: { ...summarize(samples.floor), label: bound.floor.label } } : {}),
        ratio,
        target: spec.target,
        met: ratio <= spec.target.maxRatio,
        statements: { ours: oursStatements, baseline: baselineStatements },
        checked: { ours: checked.ours, baseline: checked.baseline, ...(bound.floor ? { floor: checked.floor } : {}) },
        assertionsPassed: true,
        notes,
      };
      workloads.push(result);
      log(
        `[bench] ${spec.name}: ours ${oursStats.median.toFixed(2)} ms, baseline ${baseStats.median.toFixed(2)} ms, ` +
          `ratio ${ratio.toFixed(2)} (target ≤ ${spec.target.maxRatio}) ${result.met ? 'met' : 'MISSED'}; ` +
          `statements ${oursStatements} vs ${baselineStatements}`,
      );
    }

    // ---- volume import ---------------------------------------------------------------------------------------
    const volume = await volumeImport(run);

    // ---- cold start ------------------------------------------------------------------------------------------
    const coldRuns: ColdStartResult[] = [];
    for (let r = 0; r < sizes.coldStarts; r++) {
      coldRuns.push(
        (await child('cold-start.ts', {
          BENCH_SETTINGS: JSON.stringify(settings),
          BENCH_EMAIL: volumeUserEmail(0),
        })) as unknown as ColdStartResult,
      );
    }
    const pick = (k: keyof ColdStartResult) => median(coldRuns.map((c) => c[k]));
    const coldStart: ColdStartResult = {
      runs: coldRuns.length,
      processStartMs: pick('processStartMs'),
      importMs: pick('importMs'),
      initMs: pick('initMs'),
      firstQueryMs: pick('firstQueryMs'),
      totalMs: pick('totalMs'),
    };
    log(
      `[bench] cold start: import ${coldStart.importMs.toFixed(0)} ms, init ${coldStart.initMs.toFixed(0)} ms, first query ${coldStart.firstQueryMs.toFixed(0)} ms`,
    );

    const result: BenchmarkResult = {
      smoke,
      startedAt,
      wallSeconds: (performance.now() - started) / 1000,
      machine,
      fixture: { ...size, bodyBytes, seedSeconds },
      workloads,
      volume,
      coldStart,
      allTargetsMet: workloads.every((w) => w.met) && volume.met,
      allAssertionsPassed: workloads.every((w) => w.assertionsPassed) && volume.assertionsPassed,
    };
    return result;
  } finally {
    await db.close();
    await counted.close();
    await dropDatabase(server.direct, dbName).catch(() => {});
  }
}

/** Runs a bench/ script under tsx in a child process and returns the JSON line it prints. */
function child(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
      {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`${script} exited with ${code}:\n${err}${out}`));
      resolve(JSON.parse(line));
    });
  });
}

/**
 * Node flags of the seeder's child process. The old-space cap is the seeder CLI's own (see
 * src/cli/seed-volume.ts). The larger young generation is ours: the seeder allocates fast and
 * most of it dies young; with V8's default semi-space, that garbage is promoted and the capped
 * old space collects again and again (measured: 817 emails/s at 282 MB peak RSS; with it, 3,871
 * emails/s at 241 MB; without any flag, 2,795 emails/s at 329 MB).
 */
export const SEEDER_NODE_FLAGS = VOLUME_NODE_FLAGS;

/** The volume seeder's options for an import of `emails` into the fixture's directory (users, domains, mailboxes). */
export function volumeImportOptions(smoke: boolean, emails: number): VolumeOptions {
  const directory = smoke ? SMOKE.fixture : FULL.fixture;
  return {
    users: directory.users,
    domains: directory.domains,
    mailboxes: directory.mailboxes,
    emails,
    hotMailboxEmails: Math.min(directory.hot, emails),
    bodyBytes: VOLUME_DEFAULTS.bodyBytes,
  };
}

/** Checks a volume import: every email is there, and the mailboxes' used bytes add up to it. */
async function checkVolume(pool: pg.Pool, emails: number): Promise<void> {
  const [row] = (
    await pool.query<{ n: number; used: string; sum: string }>(
      `select (select count(*)::int from email) as n, (select sum(used_bytes) from address where kind = 'mailbox') as used,
         (select sum(size_bytes) from email) as sum`,
    )
  ).rows;
  assert.equal(row?.n, emails);
  assert.equal(row?.used, row?.sum);
}

export interface SeederRun {
  emailSeconds: number;
  directorySeconds: number;
  peakRssMiB: number;
}

/** The volume seeder alone in a child process (so its peak RSS is its own), on an empty database; checks what it wrote. */
export async function seedInChild(settings: DatabaseSettings, volumeOptions: VolumeOptions): Promise<SeederRun> {
  const seeded = await child(
    'volume-child.ts',
    {
      BENCH_SETTINGS: JSON.stringify(settings),
      BENCH_VOLUME: JSON.stringify(volumeOptions),
    },
    SEEDER_NODE_FLAGS,
  );
  const pool = plainPool(settings.direct, 2);
  try {
    await checkVolume(pool, volumeOptions.emails);
  } finally {
    await pool.end();
  }
  return {
    emailSeconds: seeded.emailMs! / 1000,
    directorySeconds: seeded.directoryMs! / 1000,
    peakRssMiB: seeded.maxRssMiB!,
  };
}

async function volumeImport(run: BenchRun): Promise<VolumeImportResult> {
  const { server, database: dbName, smoke, log } = run;
  const emails = run.sizes.volumeEmails;
  const volumeOptions = volumeImportOptions(smoke, emails);
  const directory = smoke ? SMOKE.fixture : FULL.fixture;
  const layout: VolumeSize = { ...directory, emails, hot: volumeOptions.hotMailboxEmails! };
  const oursDb = `${dbName}_volume`;
  const sqlDb = `${dbName}_volume_sql`;

  // ours: the volume seeder, alone in a child process
  log(
    `[bench] volume import: ${emails} emails through the volume seeder (child process, ${SEEDER_NODE_FLAGS.join(' ')})`,
  );
  let seeded: SeederRun;
  try {
    seeded = await seedInChild(await createMigratedDatabase(server, oursDb), volumeOptions);
  } finally {
    await dropDatabase(server.direct, oursDb);
  }
  const oursSeconds = seeded.emailSeconds;
  log(
    `[bench] volume (ours): ${Math.round(emails / oursSeconds)} emails/s, peak RSS ${seeded.peakRssMiB.toFixed(0)} MiB`,
  );

  // baseline: the same directory (by the seeder, untimed), then the same email rows by multi-row INSERT
  const sqlSettings = await createMigratedDatabase(server, sqlDb);
  const pool = plainPool(sqlSettings.direct, 4);
  let baselineSeconds: number;
  try {
    const orm = await openAether({ settings: sqlSettings, debug: false });
    try {
      await seedVolume(orm.orm.em, { ...volumeOptions, emails: 0 });
    } finally {
      await orm.close();
    }
    const t = performance.now();
    await importVolumeBaseline(pool, layout, VOLUME_DEFAULTS.bodyBytes);
    baselineSeconds = (performance.now() - t) / 1000;
    await checkVolume(pool, emails);
  } finally {
    await pool.end();
    await dropDatabase(server.direct, sqlDb);
  }
  log(`[bench] volume (baseline): ${Math.round(emails / baselineSeconds)} emails/s`);
  const throughputRatio = baselineSeconds / oursSeconds;
  const targets = { minThroughputRatio: 0.5, maxPeakRssMiB: 300 };
  return {
    emails,
    ours: {
      emailSeconds: oursSeconds,
      emailsPerSecond: emails / oursSeconds,
      directorySeconds: seeded.directorySeconds,
      peakRssMiB: seeded.peakRssMiB,
      nodeFlags: SEEDER_NODE_FLAGS.join(' '),
    },
    baseline: { emailSeconds: baselineSeconds, emailsPerSecond: emails / baselineSeconds },
    throughputRatio,
    targets,
    met: throughputRatio >= targets.minThroughputRatio && seeded.peakRssMiB <= targets.maxPeakRssMiB,
    assertionsPassed: true,
  };
}
