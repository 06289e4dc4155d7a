/**
 * The partitioning comparison in smoke mode: our side of every workload runs on a partitioned
 * `email` and on a copy with the partition migration reverted, and checks every result against
 * its own database. Timings (and so the targets) are not asserted, as in the benchmark's smoke test.
 */
import { describe, expect, it } from 'vitest';
import { runPartitioningBenchmark } from '../../bench/partitioning.js';
import { withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import { expectMeasured, smokeOptions } from './smoke-support.js';

describe('the partitioning comparison (smoke mode)', () => {
  it('runs every workload on a partitioned and an unpartitioned email table and checks every result', async () => {
    const options = { ...smokeOptions('aether_bench_part'), volumeEmails: 2_000 };
    const result = await runPartitioningBenchmark(options);
    expect(result.allAssertionsPassed).toBe(true);
    expect(result.email.partitioned).toMatchObject({ relkind: 'p', partitions: 16 });
    expect(result.email.unpartitioned).toMatchObject({ relkind: 'r', partitions: 0 });
    expect(result.email.unpartitioned.rows).toBe(result.email.partitioned.rows);
    expectMeasured(result.workloads, ['partitioned', 'unpartitioned']);
    for (const w of result.workloads) expect(w.target.maxRatio, w.name).toBe(1.1);
    expect(result.volume).toMatchObject({ emails: 2_000, assertionsPassed: true, target: { minThroughputRatio: 0.9 } });
    expect(Number.isFinite(result.volume.throughputRatio)).toBe(true);
    expect(result.volume.partitioned.peakRssMiB).toBeGreaterThan(0);
    expect(result.volume.unpartitioned.peakRssMiB).toBeGreaterThan(0);
    // its databases (the fixture, its copy, the two volume imports) are gone
    const left = await withAdminClient(options.settings.direct, (c) =>
      c.query('select datname from pg_database where datname like $1', [`${options.database}%`]),
    );
    expect(left.rows).toEqual([]);
  }, 240_000);
});
