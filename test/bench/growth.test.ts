/**
 * The growth run (`npm run bench -- --growth`) in smoke mode: the fixture grows step by step by
 * set-based SQL, every step is checked against its plan (sizes, folder counts, used bytes) and every
 * workload's result on both sides is checked. Timings are not asserted.
 */
import { describe, expect, it } from 'vitest';
import { GROWTH_WORKLOADS, runGrowthBenchmark, SMOKE_GROWTH } from '../../bench/growth.js';
import { withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import { smokeOptions } from './smoke-support.js';

describe('the growth run (smoke mode)', () => {
  it('grows one database step by step and measures ours and the baseline at every step, results checked', async () => {
    const options = smokeOptions('aether_bench_growth');
    const steps: number[] = [];
    const result = await runGrowthBenchmark({ ...options, onStep: (r) => void steps.push(r.steps.length) });
    expect(result.allAssertionsPassed).toBe(true);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(result.steps.map(({ mailboxes, hot, emails }) => ({ mailboxes, hot, emails }))).toEqual(SMOKE_GROWTH.steps);
    for (const [i, step] of result.steps.entries()) {
      // counted before the step's measurements; single delivery adds its emails on top of the plan's
      if (i === 0) expect(step.emailRows).toBe(step.emails);
      else expect(step.emailRows, `step ${i + 1}`).toBeGreaterThan(step.emails);
      expect(step.workloads.map((w) => w.name)).toEqual(GROWTH_WORKLOADS);
      for (const w of step.workloads) {
        const [warm, measured] =
          SMOKE_GROWTH.runs[w.name.startsWith('inbox') ? 'page' : w.name.startsWith('single') ? 'single' : 'counts'];
        expect(w.checked, w.name).toEqual({ ours: warm + measured, baseline: warm + measured });
        expect(w.ours.n).toBe(measured);
        expect(w.baseline.n).toBe(measured);
        expect(Number.isFinite(w.ratio), w.name).toBe(true);
      }
    }
    // the hot mailbox's page descriptions follow its growth
    expect(result.steps.at(-1)!.workloads[0]!.description).toContain(`(${SMOKE_GROWTH.steps.at(-1)!.hot} emails)`);
    const left = await withAdminClient(options.settings.direct, (c) =>
      c.query('select datname from pg_database where datname = $1', [options.database]),
    );
    expect(left.rows).toEqual([]);
  }, 240_000);
});
