/**
 * The benchmark in smoke mode (tiny fixture, few iterations): every workload runs through the
 * application, the hand-written baseline and Prisma, and checks its results. Timings are not
 * asserted: speed is the benchmark's business, and a loaded machine must not fail the suite.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../bench/benchmark.js';
import { formatTable, ratiosSvg, resultsDirectory } from '../../bench/report.js';
import { expectMeasured, smokeOptions } from './smoke-support.js';

describe('the benchmark (smoke mode)', () => {
  it('runs every workload on all three sides and checks every result', async () => {
    const result = await runBenchmark(smokeOptions('aether_bench_smoke'));
    expect(result.allAssertionsPassed).toBe(true);
    expectMeasured(result.workloads, ['ours', 'baseline', 'prisma']);
    for (const w of result.workloads) {
      expect(w.statements.ours, w.name).toBeGreaterThan(0);
      expect(w.statements.baseline, w.name).toBeGreaterThan(0);
      expect(w.statements.prisma, w.name).toBeGreaterThan(0);
      expect(w.prismaRatio, w.name).toBeCloseTo(w.prisma.median / w.baseline.median, 10);
      expect(w.oursToPrisma, w.name).toBeCloseTo(w.ours.median / w.prisma.median, 10);
    }
    // Prisma's transactions are counted whole: BEGIN, the select, the versioned update, COMMIT
    expect(result.workloads.find((w) => w.name === 'load-change-save')?.statements.prisma).toBe(4);
    expect(result.prisma.version).toMatch(/^7\./);
    // the table, and the chart, show the Prisma side of every workload
    const table = formatTable(result);
    expect(table).toContain('| Prisma ÷ baseline | ours ÷ Prisma |');
    for (const w of result.workloads) {
      expect(table).toContain(`| ${w.prismaRatio.toFixed(2)}× | ${w.oursToPrisma.toFixed(2)}× |`);
      expect(ratiosSvg(result)).toContain(`ours ÷ Prisma ${w.oursToPrisma.toFixed(2)}×`);
    }
    expect(result.workloads.find((w) => w.name === 'bulk delivery')?.floor?.n).toBeGreaterThan(0);
    expect(result.workloads.find((w) => w.name === 'counts per user')?.statements.ours).toBe(1);
    expect(result.volume.assertionsPassed).toBe(true);
    expect(result.volume.emails).toBeGreaterThan(0);
    expect(result.volume.ours.peakRssMiB).toBeGreaterThan(0);
    expect(result.coldStart.firstQueryMs).toBeGreaterThan(0);
    // the change events: both sides of the outbox's cost checked (events present, or none), the whole
    // backlog in the stream once, every latency sample an event seen by id
    const events = result.events;
    expect(events.assertionsPassed).toBe(true);
    expect(events.outbox.with.n).toBeGreaterThan(0);
    expect(events.outbox.checked.with).toBeGreaterThanOrEqual(events.outbox.with.n);
    expect(events.outbox.checked.without).toBeGreaterThanOrEqual(events.outbox.without.n);
    expect(events.relay.events).toBeGreaterThan(0);
    expect(Number.isFinite(events.relay.eventsPerSecond)).toBe(true);
    expect(events.latency.samples).toBeGreaterThan(0);
    expect(Number.isFinite(events.latency.p99Ms)).toBe(true);
    // the IMAP/JMAP reads: both sides measured and checked, each side's plan captured
    const reads = result.reads;
    expect(reads.allAssertionsPassed).toBe(true);
    expect(reads.workloads.map((w) => w.name)).toEqual([
      `UID FETCH 1:${reads.fixture.fetch}`,
      `changes since a modseq (${reads.fixture.changes})`,
      `SEARCH at ${reads.fixture.emails}`,
    ]);
    for (const w of reads.workloads) {
      for (const side of ['ours', 'baseline'] as const) {
        expect(w[side].n, `${w.name}: ${side}`).toBeGreaterThan(0);
        expect(w.checked[side], `${w.name}: ${side}`).toBeGreaterThanOrEqual(w[side].n);
        expect(w.statements[side], `${w.name}: ${side}`).toBeGreaterThan(0);
        expect(w.plans[side], `${w.name}: ${side}`).toMatch(/Scan/);
      }
      expect(w.ratio).toBeCloseTo(w.ours.median / w.baseline.median, 10);
    }
    // the baseline is one statement each; both sides of the search run the same full-text filter
    expect(reads.workloads.map((w) => w.statements.baseline)).toEqual([1, 1, 1]);
    expect(reads.workloads[2]!.plans.ours).toContain('email_search_document');
    expect(reads.workloads[2]!.plans.baseline).toContain('email_search_document');
    expect(formatTable(result)).toContain('IMAP/JMAP reads');
  }, 600_000);
});

describe('where results go', () => {
  it('a smoke run writes to the git-ignored bench/smoke-results/, never the committed bench/results/', () => {
    const smoke = fileURLToPath(resultsDirectory(true));
    expect(smoke).toMatch(/\/bench\/smoke-results\/$/);
    expect(fileURLToPath(resultsDirectory(false))).toMatch(/\/bench\/results\/$/);
    // git ignores what a smoke run writes
    const ignored = execFileSync('git', ['check-ignore', `${smoke}latest.json`], { encoding: 'utf8' });
    expect(ignored.trim()).toBe(`${smoke}latest.json`);
  });
});
