/**
 * The benchmark's types: its options and results, the sizes of a run, a workload's sides, and the
 * database the workloads run on. The runners (bench/benchmark.ts, bench/partitioning.ts), the
 * workloads and the report share them; bench/harness.ts holds the routines they share.
 */
import type pg from 'pg';
import type { Aether } from '../src/infrastructure/aether.js';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import type { VolumeSize } from '../src/seeders/support/volume-layout.js';
import type { EventsResult } from './events.js';
import type { LmtpLoadResult } from './lmtp-load.js';
import type { ReadsResult } from './reads.js';
import type { Stats } from './stats.js';

export interface BenchmarkOptions {
  /** Tiny fixture, few iterations: checks that everything works (timings mean nothing). */
  smoke?: boolean;
  /** Emails in the volume import (the 1,000,000 by default; 10,000 in smoke mode). */
  volumeEmails?: number;
  /** Name of the benchmark's database (dropped and recreated); `aether_bench` by default. */
  database?: string;
  /** Where progress lines go. */
  log?: (line: string) => void;
  /** Leave the benchmark's databases on the server afterwards (they are dropped by default: ~1 GB). */
  keep?: boolean;
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
  /** The same work through Prisma 7 (bench/prisma/operations.ts), measured interleaved with the other two. */
  prisma: Stats;
  /** A faster-than-baseline reference (COPY for bulk delivery), if any. */
  floor?: Stats & { label: string };
  /** ours ÷ baseline, medians: the ratio the target is set on. */
  ratio: number;
  /** Prisma ÷ baseline, medians. */
  prismaRatio: number;
  /** ours ÷ Prisma, medians: below 1 where we are faster. */
  oursToPrisma: number;
  target: Target;
  met: boolean;
  /** SQL statements one operation of each side issued (begin/commit included). */
  statements: { ours: number; baseline: number; prisma: number };
  /** Iterations whose result was checked (warm-ups included), per side. */
  checked: { ours: number; baseline: number; prisma: number; floor?: number };
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
  /** The Prisma side's installed versions (prisma, @prisma/client, @prisma/adapter-pg are pinned alike). */
  prisma: { version: string };
  volume: VolumeImportResult;
  coldStart: ColdStartResult;
  events: EventsResult;
  /** LMTP delivery end to end through the agent in a child process (bench/lmtp-load.ts). */
  lmtp: LmtpLoadResult;
  /** The IMAP/JMAP reads: UID FETCH, changes since a modseq, SEARCH, with plans (bench/reads.ts). */
  reads: ReadsResult;
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
  /** The change events: single deliveries with and without the outbox, the relay's backlog, latency samples. */
  events: { outbox: [warm: number, measured: number]; backlog: number; latency: number };
}

export interface Side<T> {
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

export interface SeederRun {
  emailSeconds: number;
  directorySeconds: number;
  peakRssMiB: number;
}

/** What every run starts from: its options resolved, the clock started (bench/harness.ts `startRun`). */
export interface BenchRun {
  started: number;
  startedAt: string;
  smoke: boolean;
  sizes: Sizes;
  log: (line: string) => void;
  /** The server the run's databases are created on. */
  server: DatabaseSettings;
  /** The name of the run's database. */
  database: string;
}
