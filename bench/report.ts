/**
 * The benchmark's outputs: the table it prints, `results/latest.json` and the `results/ratios.svg`
 * chart; for the partitioning comparison, its table and `results/partitioning.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { BenchmarkResult, WorkloadResult } from './types.js';
import { formatLmtpLoadTable, type LmtpLoadResult } from './lmtp-load.js';
import { formatReadsTable, type ReadsResult } from './reads.js';
import type { EmailTable, PartitioningResult } from './partitioning.js';
import type { Stats } from './stats.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const x = (v: number) => `${v.toFixed(2)}×`;

/** A workload's row up to "met": its name, the two sides' medians (p95), their ratio and the target. */
function comparisonRow(w: Pick<WorkloadResult, 'name' | 'ratio' | 'target' | 'met'>, a: Stats, b: Stats): string {
  return (
    `| ${w.name} | ${ms(a.median)} ms (${ms(a.p95)}) | ${ms(b.median)} ms (${ms(b.p95)}) | ` +
    `${x(w.ratio)} | ${w.target.label} | ${w.met ? 'yes' : '**no**'} |`
  );
}

/** The fixture, the machine and the wall time of a run. */
function runLines(r: BenchmarkResult | PartitioningResult): string[] {
  return [
    `Fixture: ${r.fixture.users} users, ${r.fixture.domains} domains, ${r.fixture.mailboxes} mailboxes, ${r.fixture.emails} emails ` +
      `of ${r.fixture.bodyBytes} B (hot mailbox ${r.fixture.hot}), seeded in ${r.fixture.seedSeconds.toFixed(1)} s.`,
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}.`,
    `Wall time ${r.wallSeconds.toFixed(0)} s. Every iteration's result was checked: ${r.allAssertionsPassed ? 'all passed' : 'FAILURES'}.`,
  ];
}

/**
 * A Markdown table (it reads as well in a terminal as pasted into the README): per workload the
 * three sides' medians (p95), ours ÷ baseline against its target, Prisma ÷ baseline, ours ÷ Prisma
 * (below 1× where we are faster) and the statements one operation of each side sends.
 */
export function formatTable(r: BenchmarkResult): string {
  const lines = [
    '| workload | ours median (p95) | baseline median (p95) | Prisma median (p95) | ours ÷ baseline | target | met | ' +
      'Prisma ÷ baseline | ours ÷ Prisma | SQL statements ours / baseline / Prisma |',
    '|---|---:|---:|---:|---:|---|---|---:|---:|---:|',
  ];
  const cell = (s: Stats) => `${ms(s.median)} ms (${ms(s.p95)})`;
  for (const w of r.workloads) {
    lines.push(
      `| ${w.name} | ${cell(w.ours)} | ${cell(w.baseline)} | ${cell(w.prisma)} | ${x(w.ratio)} | ${w.target.label}, faster than Prisma | ` +
        `${w.met ? 'yes' : '**no**'} | ${x(w.prismaRatio)} | ${x(w.oursToPrisma)} | ` +
        `${w.statements.ours} / ${w.statements.baseline} / ${w.statements.prisma} |`,
    );
    if (w.floor) {
      lines.push(
        `| ↳ bulk delivery floor: ${w.floor.label} | | ${cell(w.floor)} | | ${x(w.ours.median / w.floor.median)} of ${w.floor.label} | (reference) | | ` +
          `${x(w.prisma.median / w.floor.median)} of ${w.floor.label} | | |`,
      );
    }
  }
  const v = r.volume;
  lines.push(
    `| volume import (${v.emails.toLocaleString('en')} emails) | ${Math.round(v.ours.emailsPerSecond).toLocaleString('en')} emails/s, peak RSS ${v.ours.peakRssMiB.toFixed(0)} MiB | ` +
      `${Math.round(v.baseline.emailsPerSecond).toLocaleString('en')} emails/s | (not measured) | ${x(v.throughputRatio)} throughput | ≥ 0.5× throughput, RSS ≤ 300 MB | ${v.met ? 'yes' : '**no**'} | | | |`,
  );
  const c = r.coldStart;
  const extra = [
    '',
    `Cold start (child process, median of ${c.runs}): process start ${ms(c.processStartMs)} ms, import ${ms(c.importMs)} ms, ` +
      `ORM init + connect ${ms(c.initMs)} ms, first query ${ms(c.firstQueryMs)} ms, total ${ms(c.totalMs)} ms.`,
    ...runLines(r),
    `Prisma ${r.prisma.version} (prisma-client generator, @prisma/adapter-pg over a pg pool like the baseline's): ` +
      `its own API, $queryRaw for the row locks (bench/prisma/operations.ts).`,
  ];
  extra.push(
    `Volume import: ${v.emails.toLocaleString('en')} emails; ours = the volume seeder in a child process (${v.ours.nodeFlags}), ` +
      `${v.ours.emailSeconds.toFixed(1)} s for the email (directory ${v.ours.directorySeconds.toFixed(1)} s, untimed); ` +
      `baseline = the same rows by multi-row INSERT on 2 connections, ${v.baseline.emailSeconds.toFixed(1)} s.`,
  );
  for (const w of r.workloads) for (const n of w.notes) extra.push(`${w.name}: ${n}`);
  return [
    ...lines,
    ...extra,
    '',
    ...formatEvents(r.events),
    '',
    formatLmtpLoadTable(r.lmtp),
    '',
    formatReadsTable(r.reads),
  ].join('\n');
}

/** The change events' numbers: the outbox's cost on single delivery, the relay's throughput and latency. */
export function formatEvents(e: BenchmarkResult['events']): string[] {
  const o = e.outbox;
  return [
    '| change events | median (p95) | |',
    '|---|---:|---|',
    `| single delivery with the outbox | ${ms(o.with.median)} ms (${ms(o.with.p95)}) | ${o.with.n} runs |`,
    `| single delivery without it | ${ms(o.without.median)} ms (${ms(o.without.p95)}) | ${o.without.n} runs |`,
    `| ↳ the outbox's cost | ${o.costMs < 0 ? '−' : '+'}${ms(Math.abs(o.costMs))} ms | ${x(o.ratio)} |`,
    `| relay: backlog of ${e.relay.events.toLocaleString('en')} events over ${e.relay.keys} keys to JetStream | ${Math.round(e.relay.eventsPerSecond).toLocaleString('en')} events/s | drained in ${e.relay.seconds.toFixed(2)} s |`,
    `| relay: commit → stream (idle) | ${ms(e.latency.medianMs)} ms, p99 ${ms(e.latency.p99Ms)} ms | ${e.latency.samples} events, max ${ms(e.latency.maxMs)} ms |`,
    '',
    `Change events: NATS ${e.natsServer}. "Without the outbox" is the same use case through a unit of work that drops its recorded ` +
      `events (no advisory locks, insert or NOTIFY); latency runs from the use case's return to a subscriber of the stream's subjects.`,
  ];
}

/** The partitioning comparison as a Markdown table: partitioned against unpartitioned `email`, ours on both. */
export function formatPartitioningTable(r: PartitioningResult): string {
  const lines = [
    '| workload | partitioned median (p95) | unpartitioned median (p95) | partitioned ÷ unpartitioned | target | met |',
    '|---|---:|---:|---:|---|---|',
  ];
  for (const w of r.workloads) lines.push(comparisonRow(w, w.partitioned, w.unpartitioned));
  const v = r.volume;
  const rate = (s: { emailsPerSecond: number; peakRssMiB: number }) =>
    `${Math.round(s.emailsPerSecond).toLocaleString('en')} emails/s, peak RSS ${s.peakRssMiB.toFixed(0)} MiB`;
  lines.push(
    `| volume import (${v.emails.toLocaleString('en')} emails) | ${rate(v.partitioned)} | ${rate(v.unpartitioned)} | ` +
      `${x(v.throughputRatio)} throughput | ≥ ${v.target.minThroughputRatio.toFixed(2)}× throughput | ${v.met ? 'yes' : '**no**'} |`,
  );
  const table = (t: EmailTable) =>
    `${t.database} (relkind ${t.relkind}, ${t.partitions} partitions, ${t.rows.toLocaleString('en')} emails)`;
  return [
    ...lines,
    '',
    `Ours on both sides, interleaved. Partitioned: ${table(r.email.partitioned)}; unpartitioned: a copy of it with ` +
      `${r.migration} reverted, ${table(r.email.unpartitioned)}.`,
    `Volume import: the volume seeder in a child process (${v.nodeFlags}) into an empty database of each kind.`,
    ...runLines(r),
  ].join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * A horizontal bar chart per workload: ours ÷ baseline (blue, orange where it misses its target,
 * whose red tick marks it) and Prisma ÷ baseline (grey) beneath it, with ours ÷ Prisma beside them.
 */
export function ratiosSvg(r: BenchmarkResult): string {
  const rows = [
    ...r.workloads.map((w) => ({
      label: w.name,
      ratio: w.ratio,
      prisma: w.prismaRatio as number | undefined,
      oursToPrisma: w.oursToPrisma as number | undefined,
      target: w.target.maxRatio,
      met: w.met,
    })),
    {
      label: 'volume import (time)',
      ratio: 1 / r.volume.throughputRatio,
      prisma: undefined,
      oursToPrisma: undefined,
      target: 1 / r.volume.targets.minThroughputRatio,
      met: r.volume.met,
    },
  ];
  const labelW = 200;
  const chartW = 520;
  const rowH = 40;
  const top = 66;
  const height = top + rows.length * rowH + 50;
  const max = Math.max(2.5, ...rows.map((row) => Math.max(row.ratio, row.prisma ?? 0, row.target))) * 1.1;
  const sx = (v: number) => labelW + (v / max) * chartW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 250}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Ours and Prisma ÷ hand-written SQL (median time; lower is better)</text>`,
    `<text x="10" y="40" fill="#555">upper bar: ours (orange: target missed) · lower bar: Prisma · red tick: our target · grey line: parity (1×)</text>`,
    `<text x="10" y="56" fill="#555">right: ours ÷ baseline, Prisma ÷ baseline, ours ÷ Prisma (below 1×: we are faster)${r.smoke ? ' · SMOKE RUN, timings mean nothing' : ''}</text>`,
  ];
  for (let tick = 0; tick <= max; tick += 0.5) {
    parts.push(
      `<line x1="${sx(tick)}" y1="${top}" x2="${sx(tick)}" y2="${top + rows.length * rowH}" stroke="${tick === 1 ? '#888' : '#eee'}"/>`,
      `<text x="${sx(tick)}" y="${top + rows.length * rowH + 15}" text-anchor="middle" fill="#555">${tick}×</text>`,
    );
  }
  const bar = (y: number, h: number, ratio: number, fill: string) =>
    `<rect x="${labelW}" y="${y}" width="${Math.max(1, sx(ratio) - labelW)}" height="${h}" fill="${fill}"/>`;
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const ours = `ours ${row.ratio.toFixed(2)}× (≤ ${row.target.toFixed(1)}×)`;
    const prisma =
      row.prisma === undefined
        ? []
        : [
            `<text x="${labelW + chartW + 8}" y="${y + 31}" fill="#555">${esc(`Prisma ${row.prisma.toFixed(2)}× · ours ÷ Prisma ${row.oursToPrisma!.toFixed(2)}×`)}</text>`,
          ];
    parts.push(
      `<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(row.label)}</text>`,
      bar(y + 5, 14, row.ratio, row.met ? '#4a90d9' : '#e8a33d'),
      ...(row.prisma === undefined ? [] : [bar(y + 21, 12, row.prisma, '#9b9b9b')]),
      `<line x1="${sx(row.target)}" y1="${y + 2}" x2="${sx(row.target)}" y2="${y + rowH - 4}" stroke="#d0021b" stroke-width="3"/>`,
      `<text x="${labelW + chartW + 8}" y="${y + 16}">${esc(ours)}</text>`,
      ...prisma,
    );
  });
  parts.push(
    `<text x="10" y="${height - 10}" fill="#555">${esc(`${r.machine.cpus} CPUs, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}, Prisma ${r.prisma.version}, ${r.startedAt}`)}</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

async function writeJson(
  r: BenchmarkResult | PartitioningResult | LmtpLoadResult | ReadsResult,
  dir: URL,
  name: string,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const json = new URL(name, dir);
  await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  return json.pathname;
}

/**
 * Where a run writes its results: bench/results/ (committed) for a real run; a smoke run's timings
 * mean nothing, so it writes to the git-ignored bench/smoke-results/ and never overwrites them.
 */
export function resultsDirectory(smoke: boolean): URL {
  return new URL(smoke ? './smoke-results/' : './results/', import.meta.url);
}

export async function writeResults(r: BenchmarkResult, dir: URL): Promise<{ json: string; svg: string }> {
  const json = await writeJson(r, dir, 'latest.json');
  const svg = new URL('ratios.svg', dir);
  await writeFile(svg, ratiosSvg(r));
  return { json, svg: svg.pathname };
}

/** Writes `partitioning.json` (and nothing else) into `dir`. */
export function writePartitioningResults(r: PartitioningResult, dir: URL): Promise<string> {
  return writeJson(r, dir, 'partitioning.json');
}

/** Writes `lmtp.json` (and nothing else) into `dir`: `npm run bench -- --lmtp`. */
export function writeLmtpResults(r: LmtpLoadResult, dir: URL): Promise<string> {
  return writeJson(r, dir, 'lmtp.json');
}

/** Writes `reads.json` (and nothing else) into `dir`: `npm run bench -- --reads`. */
export function writeReadsResults(r: ReadsResult, dir: URL): Promise<string> {
  return writeJson(r, dir, 'reads.json');
}
