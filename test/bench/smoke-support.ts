/** What the benchmark's smoke tests share: options for a smoke run on the test server, and what to expect of it. */
import { randomBytes } from 'node:crypto';
import { expect, inject } from 'vitest';
import type { BenchmarkOptions } from '../../bench/types.js';
import type { Stats } from '../../bench/stats.js';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';

/** A smoke run on the test server, in a database of its own (`prefix` and a random suffix), silent. */
export function smokeOptions(prefix: string): BenchmarkOptions & { database: string; settings: DatabaseSettings } {
  const direct = parseDatabaseUrl(inject('aetherDatabase').directUrl);
  return {
    smoke: true,
    database: `${prefix}_${randomBytes(4).toString('hex')}`,
    settings: { direct, application: direct, replicas: [], embedded: false, poolMax: 10, statementTimeoutMs: 30_000 },
    log: () => {},
  };
}

export const WORKLOAD_NAMES = [
  'inbox page (first)',
  'inbox page (deep)',
  'owners by domain suffix',
  'counts per user',
  'load-change-save',
  'single delivery',
  'bulk delivery',
];

/** Every workload passed its checks, each side measured and every measured iteration checked, the ratio finite. */
export function expectMeasured<K extends string>(
  workloads: ({ name: string; assertionsPassed: boolean; ratio: number; checked: Record<K, number> } & Record<
    K,
    Stats
  >)[],
  sides: K[],
): void {
  expect(workloads.map((w) => w.name)).toEqual(WORKLOAD_NAMES);
  for (const w of workloads) {
    expect(w.assertionsPassed, w.name).toBe(true);
    expect(Number.isFinite(w.ratio), w.name).toBe(true);
    for (const side of sides) {
      expect(w[side].n, `${w.name}: ${side}`).toBeGreaterThan(0);
      expect(w.checked[side], `${w.name}: ${side}`).toBeGreaterThanOrEqual(w[side].n);
    }
  }
}
