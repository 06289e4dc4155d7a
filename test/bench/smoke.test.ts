/**
 * The benchmark in smoke mode (tiny fixture, few iterations): every workload runs through both the
 * application and the hand-written baseline and checks its results. Timings are not asserted:
 * speed is the benchmark's business, and a loaded machine must not fail the suite.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { runBenchmark } from '../../bench/benchmark.js';
import { parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';

describe('the benchmark (smoke mode)', () => {
  it('runs every workload on both sides and checks every result', async () => {
    const direct = parseDatabaseUrl(inject('aetherDatabase').directUrl);
    const result = await runBenchmark({
      smoke: true,
      database: `aether_bench_smoke_${randomBytes(4).toString('hex')}`,
      settings: { direct, application: direct, replicas: [], embedded: false, poolMax: 10, statementTimeoutMs: 30_000 },
      log: () => {},
    });
    expect(result.allAssertionsPassed).toBe(true);
    expect(result.workloads.map((w) => w.name)).toEqual([
      'inbox page (first)',
      'inbox page (deep)',
      'owners by domain suffix',
      'counts per user',
      'load-change-save',
      'single delivery',
      'bulk delivery',
    ]);
    for (const w of result.workloads) {
      expect(w.assertionsPassed, w.name).toBe(true);
      expect(w.ours.n, w.name).toBeGreaterThan(0);
      expect(w.baseline.n, w.name).toBeGreaterThan(0);
      expect(w.checked.ours, w.name).toBeGreaterThanOrEqual(w.ours.n);
      expect(w.checked.baseline, w.name).toBeGreaterThanOrEqual(w.baseline.n);
      expect(Number.isFinite(w.ratio), w.name).toBe(true);
      expect(w.statements.ours, w.name).toBeGreaterThan(0);
      expect(w.statements.baseline, w.name).toBeGreaterThan(0);
    }
    expect(result.workloads.find((w) => w.name === 'bulk delivery')?.floor?.n).toBeGreaterThan(0);
    expect(result.workloads.find((w) => w.name === 'counts per user')?.statements.ours).toBe(1);
    expect(result.volume.assertionsPassed).toBe(true);
    expect(result.volume.emails).toBeGreaterThan(0);
    expect(result.volume.ours.peakRssMiB).toBeGreaterThan(0);
    expect(result.coldStart.firstQueryMs).toBeGreaterThan(0);
  }, 240_000);
});
