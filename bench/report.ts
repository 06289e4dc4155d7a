/**
 * The benchmark's outputs: the table it prints, `results/latest.json` and the `results/ratios.svg`
 * chart; for the partitioning comparison, its table and `results/partitioning.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { BenchmarkResult, WorkloadResult } from './types.js';
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

/** A Markdown table (it reads as well in a terminal as pasted into the README). */
export function formatTable(r: BenchmarkResult): string {
  const lines = [
    '| workload | ours median (p95) | baseline median (p95) | ours ÷ baseline | target | met | SQL statements ours / baseline |',
    '|---|---:|---:|---:|---|---|---:|',
  ];
  for (const w of r.workloads) {
    lines.push(`${comparisonRow(w, w.ours, w.baseline)} ${w.statements.ours} / ${w.statements.baseline} |`);
    if (w.floor) {
      lines.push(
        `| ↳ bulk delivery floor: ${w.floor.label} | | ${ms(w.floor.median)} ms (${ms(w.floor.p95)}) | ${x(w.ours.median / w.floor.median)} of ${w.floor.label} | (reference) | | |`,
      );
    }
  }
  const v = r.volume;
  lines.push(
    `| volume import (${v.emails.toLocaleString('en')} emails) | ${Math.round(v.ours.emailsPerSecond).toLocaleString('en')} emails/s, peak RSS ${v.ours.peakRssMiB.toFixed(0)} MiB | ` +
      `${Math.round(v.baseline.emailsPerSecond).toLocaleString('en')} emails/s | ${x(v.throughputRatio)} throughput | ≥ 0.5× throughput, RSS ≤ 300 MB | ${v.met ? 'yes' : '**no**'} | |`,
  );
  const c = r.coldStart;
  const extra = [
    '',
    `Cold start (child process, median of ${c.runs}): process start ${ms(c.processStartMs)} ms, import ${ms(c.importMs)} ms, ` +
      `ORM init + connect ${ms(c.initMs)} ms, first query ${ms(c.firstQueryMs)} ms, total ${ms(c.totalMs)} ms.`,
    ...runLines(r),
  ];
  extra.push(
    `Volume import: ${v.emails.toLocaleString('en')} emails; ours = the volume seeder in a child process (${v.ours.nodeFlags}), ` +
      `${v.ours.emailSeconds.toFixed(1)} s for the email (directory ${v.ours.directorySeconds.toFixed(1)} s, untimed); ` +
      `baseline = the same rows by multi-row INSERT on 2 connections, ${v.baseline.emailSeconds.toFixed(1)} s.`,
  );
  for (const w of r.workloads) for (const n of w.notes) extra.push(`${w.name}: ${n}`);
  return [...lines, ...extra, '', ...formatEvents(r.events)].join('\n');
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

/** A horizontal bar chart of ours ÷ baseline per workload, each with its target marked. */
export function ratiosSvg(r: BenchmarkResult): string {
  const rows = [
    ...r.workloads.map((w) => ({ label: w.name, ratio: w.ratio, target: w.target.maxRatio, met: w.met })),
    {
      label: 'volume import (time)',
      ratio: 1 / r.volume.throughputRatio,
      target: 1 / r.volume.targets.minThroughputRatio,
      met: r.volume.met,
    },
  ];
  const labelW = 200;
  const chartW = 520;
  const rowH = 30;
  const top = 50;
  const height = top + rows.length * rowH + 50;
  const max = Math.max(2.5, ...rows.map((row) => Math.max(row.ratio, row.target))) * 1.1;
  const sx = (v: number) => labelW + (v / max) * chartW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 90}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Ours ÷ hand-written SQL (median time; lower is better)</text>`,
    `<text x="10" y="40" fill="#555">bar: measured ratio · red tick: target · grey line: parity (1×)${r.smoke ? ' · SMOKE RUN, timings mean nothing' : ''}</text>`,
  ];
  for (let tick = 0; tick <= max; tick += 0.5) {
    parts.push(
      `<line x1="${sx(tick)}" y1="${top}" x2="${sx(tick)}" y2="${top + rows.length * rowH}" stroke="${tick === 1 ? '#888' : '#eee'}"/>`,
      `<text x="${sx(tick)}" y="${top + rows.length * rowH + 15}" text-anchor="middle" fill="#555">${tick}×</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(row.label)}</text>`,
      `<rect x="${labelW}" y="${y + 6}" width="${Math.max(1, sx(row.ratio) - labelW)}" height="${rowH - 12}" fill="${row.met ? '#4a90d9' : '#e8a33d'}"/>`,
      `<line x1="${sx(row.target)}" y1="${y + 2}" x2="${sx(row.target)}" y2="${y + rowH - 2}" stroke="#d0021b" stroke-width="3"/>`,
      `<text x="${sx(Math.max(row.ratio, row.target)) + 6}" y="${y + rowH / 2 + 4}">${row.ratio.toFixed(2)}× (≤ ${row.target.toFixed(1)}×)</text>`,
    );
  });
  parts.push(
    `<text x="10" y="${height - 10}" fill="#555">${esc(`${r.machine.cpus} CPUs, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}, ${r.startedAt}`)}</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

async function writeJson(r: BenchmarkResult | PartitioningResult, dir: URL, name: string): Promise<string> {
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
