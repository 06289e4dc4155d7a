/**
 * `npm run bench [-- --smoke] [-- --volume-emails N]`: the data layer against hand-written SQL.
 * Prints a table, writes bench/results/latest.json and bench/results/ratios.svg (a smoke run:
 * bench/smoke-results/, git-ignored). Drops its databases when done unless `--keep`.
 * `npm run bench -- --partitioning` instead compares our workloads on a partitioned `email`
 * against the same data with the partition migration reverted (issue #8: none more than 10 %
 * slower); it prints its own table and writes only bench/results/partitioning.json.
 * `npm run bench -- --lmtp` (or `npm run bench:lmtp`) runs only the LMTP load (bench/lmtp-load.ts) and writes lmtp.json.
 * `npm run bench -- --reads` runs only the IMAP/JMAP reads (bench/reads.ts: UID FETCH, changes since a modseq,
 * SEARCH, each with its plans) and writes reads.json.
 * `npm run bench -- --growth` measures how cost grows with the work (bench/growth.ts, bench/results/growth.json).
 * `BENCH_SMOKE=1` is `--smoke`; `BENCH_VOLUME_EMAILS` is `--volume-emails`; `BENCH_PARTITIONING=1` is `--partitioning`.
 */
import { commandLine } from '../src/cli/command-line.js';
import { runBenchmark } from './benchmark.js';
import { formatLmtpLoadTable, LMTP_LOAD_FULL, LMTP_LOAD_SMOKE, runLmtpLoad } from './lmtp-load.js';
import { runGrowth } from './growth-cli.js';
import { runPartitioningBenchmark } from './partitioning.js';
import { formatReadsTable, runReads } from './reads.js';
import {
  formatPartitioningTable,
  formatTable,
  resultsDirectory,
  writeLmtpResults,
  writePartitioningResults,
  writeReadsResults,
  writeResults,
} from './report.js';

const usage = `Usage: npm run bench [-- [--smoke] [--partitioning] [--lmtp] [--reads] [--volume-emails N] [--keep]]

  --smoke            tiny fixture, few iterations: checks that everything works (timings mean nothing;
                     writes bench/smoke-results/, never the committed bench/results/)
  --partitioning     partitioned email against the same data with the partition migration reverted,
                     our side of every workload on both (writes bench/results/partitioning.json)
  --lmtp             only the LMTP load: the agent in a child process, 8 connections, 10,000 messages
                     (2 and 200 with --smoke); writes lmtp.json
  --reads            only the IMAP/JMAP reads: UID FETCH of 1,000, changes since a modseq over 50,000
                     journal entries, SEARCH in a folder of 200,000, each against hand-written SQL, with
                     their plans (a database of its own; writes reads.json)
  --growth           how cost grows with the work: one database grown step by step to 1M emails in one
                     mailbox, 400,000 mailboxes and 2M emails, measured at each step (bench/growth.ts;
                     writes bench/results/growth.json)
  --volume-emails N  emails in the volume import (200,000 by default; 10,000 with --smoke)
  --keep             leave the benchmark's database on the server (dropped by default: about 1 GB)

Environment: BENCH_SMOKE=1, BENCH_PARTITIONING=1, BENCH_VOLUME_EMAILS=N; DATABASE_URL picks the server.`;

const values = commandLine(usage, {
  smoke: { type: 'boolean', default: false },
  partitioning: { type: 'boolean', default: false },
  lmtp: { type: 'boolean', default: false },
  growth: { type: 'boolean', default: false },
  reads: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  'volume-emails': { type: 'string' },
});
const smoke = values.smoke || process.env.BENCH_SMOKE === '1';
const partitioning = values.partitioning || process.env.BENCH_PARTITIONING === '1';
const rawVolume = values['volume-emails'] ?? process.env.BENCH_VOLUME_EMAILS;
const volumeEmails = rawVolume === undefined ? undefined : Number(rawVolume.replaceAll('_', ''));
if (volumeEmails !== undefined && (!Number.isSafeInteger(volumeEmails) || volumeEmails < 1)) {
  console.error(`error: --volume-emails must be a whole number from 1 upwards (got "${rawVolume}")`);
  process.exit(2);
}
const options = { smoke, keep: values.keep, ...(volumeEmails === undefined ? {} : { volumeEmails }) };
const results = resultsDirectory(smoke);

if (values.lmtp) {
  const result = await runLmtpLoad({ ...(smoke ? LMTP_LOAD_SMOKE : LMTP_LOAD_FULL), keep: values.keep });
  const json = await writeLmtpResults(result, results);
  console.log(`\n${formatLmtpLoadTable(result)}\n`);
  console.log(`Results: ${json}`);
  if (!result.assertionsPassed) console.log(`Checks failed: ${result.failures.join('; ')}`);
  if (!result.target.met) console.log('The target was missed (see the table).');
} else if (values.reads || process.env.BENCH_READS === '1') {
  const result = await runReads({ smoke, keep: values.keep });
  const json = await writeReadsResults(result, results);
  console.log(`\n${formatReadsTable(result, { plans: true })}\n`);
  console.log(`Results: ${json}`);
  if (!result.allTargetsMet) console.log('Some targets were missed (see the table).');
} else if (values.growth || process.env.BENCH_GROWTH === '1') {
  await runGrowth(options, results);
} else if (partitioning) {
  const result = await runPartitioningBenchmark(options);
  const json = await writePartitioningResults(result, results);
  console.log(`\n${formatPartitioningTable(result)}\n`);
  console.log(`Results: ${json}`);
  if (!result.allTargetsMet) console.log('Some targets were missed (see the table).');
} else {
  const result = await runBenchmark(options);
  const files = await writeResults(result, results);
  console.log(`\n${formatTable(result)}\n`);
  console.log(`Results: ${files.json}, ${files.svg}`);
  if (!result.allTargetsMet) console.log('Some targets were missed (see the table).');
}
