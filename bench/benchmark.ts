/**
 * The benchmark: the data layer (application services on MikroORM) side by side with a
 * hand-written `pg` baseline, on a database of its own filled by the volume seeder.
 * `runBenchmark()` is what `npm run bench` and the smoke test call. Each workload is defined once,
 * as a function of the database it runs on (`defineWorkloads`), and measured by one routine
 * (`interleave`), so bench/partitioning.ts runs the same workloads on two databases.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type Aether, openAether } from '../src/infrastructure/aether.js';
import { type DatabaseSettings, resolveDatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { User } from '../src/domain/user.js';
import type { MessageInput } from '../src/domain/message.js';
import { seedVolume, VOLUME_DEFAULTS, VOLUME_NODE_FLAGS, type VolumeOptions } from '../src/seeders/VolumeSeeder.js';
import { volumeMailboxAddress, volumeUserEmail, type VolumeSize } from '../src/seeders/support/volume-layout.js';
import * as sql from './baseline.js';
import { baselinePool, createMigratedDatabase, dropDatabase } from './database.js';
import { type Stats, median, summarize } from './stats.js';
import { importVolumeBaseline } from './volume-baseline.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface BenchmarkOptions {
  /** Tiny fixture, few iterations: checks that everything works (timings mean nothing). */
  smoke?: boolean;
  /** Emails in the volume import (the issue's 1,000,000 by default; 10,000 in smoke mode). */
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

/** A workload's sides bound to one database, with the state their checks keep about it. */
export interface BoundWorkload {
  description: string;
  /** Ours through `a`: the database's own instance, or one on the same database that logs its statements. */
  ours: (a: Aether) => AnySide;
  baseline: AnySide;
  /** A faster-than-baseline reference (COPY for bulk delivery), if any. */
  floor?: AnySide & { label: string };
}

export interface Workload {
  name: string;
  unit?: string;
  runs: [warm: number, measured: number];
  target: Target;
  notes?: string[];
  /** Reads what the checks need from `db` and binds the sides to it. */
  on: (db: BenchDatabase) => Promise<BoundWorkload>;
  /** Extra checks on our statement counts, through the statement-logging instance. */
  countCheck?: (counted: Aether, count: StatementCounter) => Promise<string>;
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
  const { pool, count } = countingPool(baselinePool(settings.direct));
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

/** Every workload, each a function of the database it runs on. */
export function defineWorkloads(sizes: Sizes): Workload[] {
  const size = sizes.fixture;
  const bodyBytes = VOLUME_DEFAULTS.bodyBytes;

  // ---- inbox page: first page and a deep page, by keyset --------------------------------------------
  const pageSize = 50;
  const depth = Math.min(25_000, Math.floor(size.hot / 2));
  const inboxPage = (deep: boolean): Workload => ({
    name: deep ? 'inbox page (deep)' : 'inbox page (first)',
    runs: sizes.page,
    target: { maxRatio: 1.3, statistic: 'median', label: '≤ 1.3×' },
    on: async ({ q, pool }) => {
      const [hot] = await q<{ id: string; inbox: string; owner: string }>(
        `select a.id, f.id as inbox, d.owner_id as owner from address a join folder f on f.mailbox_id = a.id and f.role = 'inbox'
         join domain d on d.id = a.domain_id where a.address = $1`,
        [volumeMailboxAddress(0, size)],
      );
      assert.ok(hot, 'the hot mailbox exists');
      const reference = async (offset: number) =>
        (
          await q<{ id: string; received_at: Date }>(
            `select id, received_at from email where mailbox_id = $1 and folder_id = $2
             order by received_at desc, id desc offset $3 limit $4`,
            [hot.id, hot.inbox, offset, pageSize + 1],
          )
        ).map((r) => ({ id: r.id, receivedAt: r.received_at }));
      const expected = (await reference(deep ? depth : 0)).slice(0, pageSize).map((r) => r.id);
      assert.equal(expected.length, pageSize);
      const cursorRow = deep ? (await reference(depth - 1))[0]! : undefined; // the last row of the page before
      const cursor =
        cursorRow && Buffer.from(`${cursorRow.receivedAt.toISOString()}|${cursorRow.id}`).toString('base64url');
      const ids = (items: { id: string }[]) => items.map((e) => e.id);
      return {
        description: `newest ${pageSize} of the hot mailbox (${size.hot} emails)${deep ? `, after ${depth} (keyset cursor)` : ''}`,
        ours: (a) => ({
          run: () =>
            a.mail.listFolderPage(hot.owner, {
              mailboxId: hot.id,
              folderId: hot.inbox,
              limit: pageSize,
              ...(cursor ? { cursor } : {}),
            }),
          verify: (page) => {
            assert.deepEqual(ids(page.items), expected);
            assert.ok(page.nextCursor);
          },
        }),
        baseline: {
          run: () => sql.listFolderPage(pool, hot.owner, hot.id, hot.inbox, pageSize, cursorRow),
          verify: (page) => {
            assert.deepEqual(ids(page.items), expected);
            assert.ok(page.next);
          },
        },
      };
    },
  });

  // ---- owners by domain suffix --------------------------------------------------------------------------
  const suffix = '7.example';
  const ownerShape = (users: { id: string; domains?: { id: string; mailboxes?: { id: string }[] }[] }[]) => ({
    users: users.map((u) => u.id).sort(),
    domains: users.flatMap((u) => (u.domains ?? []).map((d) => d.id)).sort(),
    mailboxes: users.flatMap((u) => (u.domains ?? []).flatMap((d) => (d.mailboxes ?? []).map((m) => m.id))).sort(),
  });
  const owners: Workload = {
    name: 'owners by domain suffix',
    runs: sizes.owners,
    target: { maxRatio: 1.5, statistic: 'median', label: '≤ 1.5×' },
    on: async ({ pool }) => {
      const ownersExpected = ownerShape(await sql.findOwnersByDomainSuffix(pool, `%${suffix}`));
      assert.ok(ownersExpected.users.length > 0 && ownersExpected.mailboxes.length > 0);
      return {
        description: `users owning a domain ending in "${suffix}" (${ownersExpected.users.length} users, ${ownersExpected.domains.length} domains, ${ownersExpected.mailboxes.length} mailboxes)`,
        ours: (a) => ({
          run: () => a.users.findOwnersByDomainSuffix(suffix),
          verify: (users) => {
            assert.deepEqual(ownerShape(users), ownersExpected);
            assert.deepEqual(
              users.map((u: { email: string }) => u.email),
              [...users.map((u: { email: string }) => u.email)].sort(),
            );
          },
        }),
        baseline: {
          run: () => sql.findOwnersByDomainSuffix(pool, `%${suffix}`),
          verify: (users) => assert.deepEqual(ownerShape(users), ownersExpected),
        },
      };
    },
    countCheck: async (counted, count) => {
      // the statement count must not depend on how many users match
      const counts: Record<string, number> = {};
      for (const s of ['17.example', suffix, '.example']) {
        let users: unknown[] = [];
        const n = await count(async () => {
          users = await counted.users.findOwnersByDomainSuffix(s);
        });
        counts[`${s} (${users.length} users)`] = n;
      }
      const distinct = new Set(Object.values(counts));
      assert.equal(distinct.size, 1, `statement counts differ by the number of users: ${JSON.stringify(counts)}`);
      return `statements independent of the number of users: ${Object.entries(counts)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`;
    },
  };

  // ---- email counts per user ----------------------------------------------------------------------------
  const countsPerUser: Workload = {
    name: 'counts per user',
    runs: sizes.counts,
    target: { maxRatio: 1.2, statistic: 'median', label: '≤ 1.2×, one query' },
    on: async ({ q, pool }) => {
      const [{ total }] = (await q<{ total: number }>('select count(*)::int as total from email')) as [
        { total: number },
      ];
      const [{ owners }] = (await q<{ owners: number }>(
        'select count(distinct user_id)::int as owners from email',
      )) as [{ owners: number }];
      const checkCounts = (rows: { emails: number }[]) => {
        assert.equal(rows.length, owners);
        assert.equal(
          rows.reduce((n, r) => n + r.emails, 0),
          total,
        );
      };
      return {
        description: `email count per user over all ${total} emails`,
        ours: (a) => ({ run: () => a.statistics.emailCountsPerUser(), verify: checkCounts }),
        baseline: { run: () => sql.emailCountsPerUser(pool), verify: checkCounts },
      };
    },
    countCheck: async (counted, count) => {
      const n = await count(() => counted.statistics.emailCountsPerUser());
      assert.equal(n, 1, 'counts per user is one query');
      return 'one query';
    },
  };

  // ---- load, change, save --------------------------------------------------------------------------------
  const renameTarget = (i: number) => ({ email: volumeUserEmail(i % size.users), name: `Bench ${i}` });
  const loadChangeSave: Workload = {
    name: 'load-change-save',
    runs: sizes.lcs,
    target: { maxRatio: 1.5, statistic: 'median', label: '≤ 1.5×' },
    on: async ({ q, pool }) => {
      const checkName = async (i: number) => {
        const { email, name } = renameTarget(i);
        const [row] = await q<{ name: string }>('select name from "user" where email = $1', [email]);
        assert.equal(row?.name, name);
      };
      return {
        description: 'load a user by address, rename, flush (optimistic version check), one unit of work',
        ours: (a) => ({
          run: (i) =>
            a.unitOfWork(async (em) => {
              const { email, name } = renameTarget(i);
              const user = await em.findOneOrFail(User, { email });
              user.rename(name);
            }),
          verify: (_r, i) => checkName(i),
        }),
        baseline: {
          run: (i) => sql.renameUser(pool, renameTarget(i).email, renameTarget(i).name),
          verify: (_r, i) => checkName(i),
        },
      };
    },
  };

  // ---- single delivery ------------------------------------------------------------------------------------
  const body = 'x'.repeat(bodyBytes - 40) + '\n'.padStart(40, 'y');
  const recipientOf = (i: number) => volumeMailboxAddress(2 + (i % (size.mailboxes - 2)), size);
  const inbound = (i: number): MessageInput => ({
    from: `sender${i % 97}@inbound.example`,
    to: [recipientOf(i)],
    subject: `Single delivery ${i}`,
    body,
    messageId: `<single-${i}@inbound.example>`,
  });
  const mailboxIdsOf = async (q: Query) => {
    const rows = await q<{ id: string; address: string }>(`select id, address from address where kind = 'mailbox'`);
    const ids = new Map(rows.map((r) => [r.address, r.id]));
    assert.equal(ids.size, size.mailboxes);
    return ids;
  };
  const singleDelivery: Workload = {
    name: 'single delivery',
    runs: sizes.single,
    target: { maxRatio: 1.5, statistic: 'median', label: 'p50 ≤ 1.5×' },
    on: async ({ q, pool }) => {
      const mailboxIds = await mailboxIdsOf(q);
      const emailExists = async (mailboxId: string, emailId: string, i: number) => {
        assert.equal(mailboxId, mailboxIds.get(recipientOf(i)));
        const rows = await q('select 1 from email where mailbox_id = $1 and id = $2', [mailboxId, emailId]);
        assert.equal(rows.length, 1);
      };
      return {
        description: 'one inbound message per unit of work: resolve, domain verified, quota, insert, used bytes',
        ours: (a) => ({
          run: (i) => a.mail.deliverInbound({ recipients: [recipientOf(i)], message: inbound(i) }),
          verify: async (report, i) => {
            assert.equal(report.delivered.length, 1);
            await emailExists(report.delivered[0]!.mailboxId, report.delivered[0]!.emailId, i);
          },
        }),
        baseline: {
          run: (i) => sql.deliverInbound(pool, recipientOf(i), inbound(i)),
          verify: (r, i) => emailExists(r.mailboxId, r.emailId, i),
        },
      };
    },
  };

  // ---- bulk delivery -------------------------------------------------------------------------------------
  const bulkAddress = volumeMailboxAddress(1, size);
  const bulkMessages = (i: number): MessageInput[] =>
    Array.from({ length: sizes.bulk }, (_, k) => ({
      from: `sender${k % 53}@bulk.example`,
      to: [bulkAddress],
      subject: `Bulk ${i}/${k}`,
      body,
      messageId: `<bulk-${i}-${k}@bulk.example>`,
    }));
  // each side builds its batch inside the timed part, alike (a few ms of several seconds)
  const messagesFor = bulkMessages;
  const bulkDelivery: Workload = {
    name: 'bulk delivery',
    unit: 'ms per batch',
    runs: sizes.bulkRuns,
    target: { maxRatio: 2.0, statistic: 'median', label: '≤ 2.0× multi-row INSERT' },
    notes: [`baseline: multi-row INSERT of ${sql.INSERT_CHUNK} rows per statement; floor: COPY FROM STDIN`],
    on: async ({ q, pool }) => {
      const bulkMailbox = (await mailboxIdsOf(q)).get(bulkAddress)!;
      const [{ n: initialCount }] = (await q<{ n: number }>(
        'select count(*)::int as n from email where mailbox_id = $1',
        [bulkMailbox],
      )) as [{ n: number }];
      let expectedCount = initialCount;
      const verifyBulk = async (r: { mailboxId: string; emailIds: string[] }) => {
        expectedCount += sizes.bulk;
        assert.equal(r.mailboxId, bulkMailbox);
        assert.equal(new Set(r.emailIds).size, sizes.bulk);
        // quota kept exact: used bytes are the sum of the stored email
        const [row] = await q<{ used: string; sum: string; n: number; mine: number }>(
          `select a.used_bytes as used, (select coalesce(sum(size_bytes), 0) from email where mailbox_id = a.id) as sum,
             (select count(*)::int from email where mailbox_id = a.id) as n,
             (select count(*)::int from email where mailbox_id = a.id and id = any($2::uuid[])) as mine
           from address a where a.id = $1`,
          [bulkMailbox, r.emailIds],
        );
        assert.equal(row?.used, row?.sum);
        assert.equal(row?.n, expectedCount);
        assert.equal(row?.mine, sizes.bulk);
      };
      return {
        description: `${sizes.bulk} emails into one mailbox, one unit of work, quota kept exact`,
        ours: (a) => ({
          run: (i) => {
            const messages = messagesFor(i);
            return a.mail.deliverMany(bulkAddress, messages);
          },
          verify: verifyBulk,
        }),
        baseline: { run: (i) => sql.deliverMany(pool, bulkAddress, messagesFor(i), 'insert'), verify: verifyBulk },
        floor: {
          label: 'COPY',
          run: (i) => sql.deliverMany(pool, bulkAddress, messagesFor(i), 'copy'),
          verify: verifyBulk,
        },
      };
    },
  };

  return [inboxPage(false), inboxPage(true), owners, countsPerUser, loadChangeSave, singleDelivery, bulkDelivery];
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
  const pool = baselinePool(settings.direct, 2);
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
  const pool = baselinePool(sqlSettings.direct, 4);
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
