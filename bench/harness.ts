/**
 * What the benchmark's runners (bench/benchmark.ts, bench/partitioning.ts) share: the sizes of a
 * run, opening and seeding a bench database, the interleaved measurement of a workload's sides,
 * and the volume seeder in a child process. The types are in bench/types.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { openAether } from '../src/infrastructure/aether.js';
import { plainPool } from '../src/infrastructure/database/admin-client.js';
import { type DatabaseSettings, resolveDatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import type { VolumeSize } from '../src/seeders/support/volume-layout.js';
import { seedVolume, VOLUME_DEFAULTS, VOLUME_NODE_FLAGS, type VolumeOptions } from '../src/seeders/VolumeSeeder.js';
import type {
  AnySide,
  BenchDatabase,
  BenchmarkOptions,
  BenchmarkResult,
  BenchRun,
  Query,
  SeederRun,
  Sizes,
  StatementCounter,
} from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const FULL: Sizes = {
  fixture: { users: 1_000, domains: 2_000, mailboxes: 4_000, emails: 200_000, hot: 50_000 },
  bulk: 10_000,
  // a round is 40–52 s over the three sides and the COPY floor, and a batch of 10,000 is warm within
  // its first few hundred rows: no warm-up round, 3 measured, keeps the run under 15 minutes (1 + 4
  // took 907 s on a day the fixture alone took 110 s; 1 + 3 took 897 s on a slower machine)
  bulkRuns: [0, 3],
  single: [50, 500],
  page: [50, 400],
  owners: [5, 40],
  counts: [3, 20],
  lcs: [50, 500],
  // about a minute each for the seeder and the baseline on 2 quiet cores, so the whole run stays
  // under 15 minutes; `--volume-emails 1000000` (or BENCH_VOLUME_EMAILS) measures a million
  volumeEmails: 200_000,
  coldStarts: 3,
  events: { outbox: [50, 500], backlog: 10_000, latency: 200 },
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
  events: { outbox: [3, 10], backlog: 300, latency: 10 },
};

/** The sizes of a run: the smoke or the full ones, with the volume import's size if given. */
function benchmarkSizes(smoke: boolean, volumeEmails?: number): Sizes {
  return { ...(smoke ? SMOKE : FULL), ...(volumeEmails === undefined ? {} : { volumeEmails }) };
}

/** A pg pool that counts the statements it sends while `counting` is on. */
export function countingPool(pool: pg.Pool): { pool: pg.Pool; count: StatementCounter } {
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

/** `schemaCheck: false` for the partitioning comparison's copy, which reverts a migration on purpose. */
export async function openBenchDatabase(
  settings: DatabaseSettings,
  { schemaCheck = true } = {},
): Promise<BenchDatabase> {
  const aether = await openAether({ settings, debug: false, schemaCheck });
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

/**
 * Our side on its own small pool with its statements logged: `countOurs` runs some work and says
 * how many statements it sent; `statements` holds their log lines (the last work's).
 */
export async function openCountingAether(settings: DatabaseSettings) {
  const statements: string[] = [];
  const aether = await openAether({
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
  return { aether, countOurs, statements };
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
export async function statementsOf(side: AnySide, i: number, count: StatementCounter): Promise<number> {
  let result: unknown;
  const n = await count(async () => {
    result = await side.run(i);
  });
  await side.verify(result, i);
  return n;
}

/** What every run starts from: its options resolved, the clock started. */
export async function startRun(options: BenchmarkOptions, defaultDatabase: string): Promise<BenchRun> {
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

/** Runs a bench/ script under tsx in a child process and returns the JSON line it prints. */
export function runChild(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<Record<string, number>> {
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

/**
 * Checks a volume import: every email is there, the mailboxes' used bytes add up to it, and the
 * folders' counts (kept by each importer, not by the database) add up to it too.
 */
export async function checkVolume(pool: pg.Pool, emails: number): Promise<void> {
  const [row] = (
    await pool.query<{ n: number; used: string; sum: string; counted: string; unseen: string; unseen_rows: string }>(
      `select (select count(*)::int from email) as n, (select sum(used_bytes) from mailbox_usage) as used,
         (select sum(size_bytes) from email) as sum,
         (select sum(message_count) || '/' || sum(size_bytes) from folder) as counted,
         (select sum(unseen_count) from folder) as unseen, (select count(*) from email where not seen) as unseen_rows`,
    )
  ).rows;
  assert.equal(row?.n, emails);
  assert.equal(row?.used, row?.sum);
  assert.equal(row?.counted, `${emails}/${row?.sum ?? 0}`);
  assert.equal(row?.unseen, row?.unseen_rows);
}

/** The volume seeder alone in a child process (so its peak RSS is its own), on an empty database; checks what it wrote. */
export async function seedInChild(settings: DatabaseSettings, volumeOptions: VolumeOptions): Promise<SeederRun> {
  const seeded = await runChild(
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
