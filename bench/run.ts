/**
 * `npm run bench [-- --smoke] [-- --volume-emails N]`: the data layer against hand-written SQL.
 * Prints a table, writes bench/results/latest.json and bench/results/ratios.svg.
 * `BENCH_SMOKE=1` is `--smoke`; `BENCH_VOLUME_EMAILS` is `--volume-emails`.
 */
import { parseArgs } from 'node:util';
import { runBenchmark } from './benchmark.js';
import { formatTable, writeResults } from './report.js';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    'volume-emails': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('Usage: npm run bench [-- --smoke] [-- --volume-emails N]');
  process.exit(0);
}
const smoke = values.smoke || process.env.BENCH_SMOKE === '1';
const rawVolume = values['volume-emails'] ?? process.env.BENCH_VOLUME_EMAILS;
const volumeEmails = rawVolume === undefined ? undefined : Number(rawVolume.replaceAll('_', ''));
if (volumeEmails !== undefined && (!Number.isSafeInteger(volumeEmails) || volumeEmails < 1)) {
  console.error(`error: --volume-emails must be a whole number from 1 upwards (got "${rawVolume}")`);
  process.exit(2);
}

const result = await runBenchmark({ smoke, ...(volumeEmails === undefined ? {} : { volumeEmails }) });
const files = await writeResults(result, new URL('./results/', import.meta.url));
console.log(`\n${formatTable(result)}\n`);
console.log(`Results: ${files.json}, ${files.svg}`);
if (!result.allTargetsMet) console.log('Some targets were missed (see the table).');
