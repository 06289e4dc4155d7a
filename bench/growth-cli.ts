/** `npm run bench -- --growth`: runs bench/growth.ts, writes growth.json after every step, prints the table. */
import { mkdir, writeFile } from 'node:fs/promises';
import { formatGrowthTable, type GrowthResult, runGrowthBenchmark } from './growth.js';
import type { BenchmarkOptions } from './types.js';

export async function runGrowth(options: BenchmarkOptions, results: URL): Promise<void> {
  const json = new URL('growth.json', results);
  const write = async (r: GrowthResult) => {
    await mkdir(results, { recursive: true });
    await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  };
  const raw = process.env.BENCH_GROWTH_STEPS;
  const maxSteps = raw === undefined || raw === '' ? undefined : Number(raw);
  if (maxSteps !== undefined && (!Number.isSafeInteger(maxSteps) || maxSteps < 1)) {
    console.error(`error: BENCH_GROWTH_STEPS must be a whole number from 1 upwards (got "${raw}")`);
    process.exit(2);
  }
  const result = await runGrowthBenchmark({ ...options, ...(maxSteps ? { maxSteps } : {}), onStep: write });
  console.log(`\n${formatGrowthTable(result)}\n`);
  console.log(`Results: ${json.pathname}`);
}
