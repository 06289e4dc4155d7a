/**
 * The IMAP/JMAP read workloads in smoke mode (bench/reads.ts): a tiny fixture built set-based,
 * our side and the hand-written SQL each run, every result checked, each side's plan captured.
 * Timings are not asserted.
 */
import { describe, expect, it } from 'vitest';
import { formatReadsTable, READS_SMOKE, runReads } from '../../bench/reads.js';
import { smokeOptions } from './smoke-support.js';

describe('the read workloads (smoke mode)', () => {
  it('fetches, reads the changes and searches on both sides, with the same results and their plans', async () => {
    const { smoke, database, settings, log } = smokeOptions('aether_bench_reads_smoke');
    const result = await runReads({ smoke: smoke!, database, settings, log: log! });
    expect(result.allAssertionsPassed).toBe(true);
    expect(result.fixture).toMatchObject(READS_SMOKE);
    expect(result.workloads.map((w) => w.name)).toEqual([
      `UID FETCH 1:${READS_SMOKE.fetch}`,
      `changes since a modseq (${READS_SMOKE.changes})`,
      `SEARCH at ${READS_SMOKE.emails}`,
    ]);
    const [warm, measured] = READS_SMOKE.runs;
    for (const w of result.workloads) {
      for (const side of ['ours', 'baseline'] as const) {
        expect(w[side].n, `${w.name}: ${side}`).toBe(measured);
        // every iteration's result was checked, the warm-ups' too
        expect(w.checked[side], `${w.name}: ${side}`).toBe(warm + measured);
        expect(w.plans[side], `${w.name}: ${side}`).toMatch(/Scan/);
        expect(w.plans[side], `${w.name}: ${side}`).toMatch(/actual rows=/);
      }
      expect(w.statements.baseline, w.name).toBe(1);
      expect(w.statements.ours, w.name).toBeGreaterThan(0);
      expect(w.ratio).toBeCloseTo(w.ours.median / w.baseline.median, 10);
    }
    expect(result.workloads[0]!.plans.ours).toContain('uid');
    expect(result.workloads[1]!.plans.ours).toContain('mail_change');
    expect(result.workloads[2]!.plans.ours).toContain('email_search_document');
    const table = formatReadsTable(result, { plans: true });
    for (const w of result.workloads) expect(table).toContain(`| ${w.name} |`);
    expect(table).toContain('SEARCH at 1000, baseline:');
  }, 300_000);
});
