/**
 * Where the CPU goes in single delivery and load-change-save (issue #20), and how the three sides
 * compare on one quiet database: `npx tsx bench/profile-delivery.ts [--size smoke|mid] [--runs N]
 * [--reuse] [--profile DIR]`.
 *
 * 1. Seeds (or with --reuse, keeps) its own database `aether_profile[_mid]`.
 * 2. Lists the statements of one operation of each side (ours through a `debug` logger, the
 *    baseline and Prisma through their pools).
 * 3. Runs ours, the baseline and Prisma interleaved (the workloads of bench/workloads.ts, every
 *    result checked) and reports per side the median wall time and the median CPU time of this
 *    process (user + system): the part of a unit of work a faster database cannot hide.
 * 4. Splits each side's wall time into its statements' time from the driver's send to the reply,
 *    summed (the database's work, the round trip and the driver's), and the client's time between
 *    them (300 runs each, interleaved).
 * 5. With --profile, samples ours alone under the V8 profiler (node:inspector) and writes
 *    DIR/<workload>.cpuprofile plus a summary by module (self time) to stdout.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import pg from 'pg';
import { openAether } from '../src/infrastructure/aether.js';
import { plainPool } from '../src/infrastructure/database/admin-client.js';
import { resolveDatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { commandLine } from '../src/cli/command-line.js';
import { createMigratedDatabase, settingsFor } from './database.js';
import { openBenchDatabase, seedFixture } from './harness.js';
import { openPrisma } from './prisma/client.js';
import type { AnySide, Sizes } from './types.js';
import { defineWorkloads } from './workloads.js';

const usage = `Usage: npx tsx bench/profile-delivery.ts [--size smoke|mid] [--runs N] [--reuse] [--profile DIR]`;
const values = commandLine(usage, {
  size: { type: 'string', default: 'smoke' },
  runs: { type: 'string', default: '200' },
  reuse: { type: 'boolean', default: false },
  profile: { type: 'string' },
});
const FIXTURES = {
  smoke: { users: 20, domains: 40, mailboxes: 80, emails: 2_000, hot: 500 },
  mid: { users: 200, domains: 400, mailboxes: 800, emails: 40_000, hot: 10_000 },
};
const sizeName = values.size as keyof typeof FIXTURES;
if (!FIXTURES[sizeName]) throw new Error(`--size is smoke or mid (got ${values.size})`);
const runs = Number(values.runs);
const fixture = FIXTURES[sizeName];
const sizes: Sizes = {
  fixture,
  bulk: 10,
  bulkRuns: [0, 1],
  single: [20, runs],
  page: [0, 1],
  owners: [0, 1],
  counts: [0, 1],
  lcs: [20, runs],
  volumeEmails: 1,
  coldStarts: 0,
  events: { outbox: [0, 1], backlog: 1, latency: 1 },
};

/** A pool whose clients log the text of every statement while `logging` is on. */
function loggingPool(pool: pg.Pool) {
  const lines: string[] = [];
  let logging = false;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
      if (logging) {
        const a = args[0] as string | { text: string };
        lines.push(typeof a === 'string' ? a : a.text);
      }
      return query(...args);
    };
  });
  return {
    async capture(work: () => Promise<unknown>) {
      lines.length = 0;
      logging = true;
      try {
        await work();
      } finally {
        logging = false;
      }
      return [...lines];
    },
  };
}

/**
 * While `watching` is set, every statement any pg client of this process sends adds its time from
 * the driver's send to the reply (the promise settling) and one to the count.
 */
let watching: { sendToReply: number; statements: number } | null = null;
const pgQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  const result = pgQuery.apply(this, args);
  const w = watching;
  if (w && result instanceof Promise) {
    const t0 = performance.now();
    w.statements++;
    void result.then(
      () => (w.sendToReply += performance.now() - t0),
      () => (w.sendToReply += performance.now() - t0),
    );
  }
  return result;
};

const oneLine = (s: string) => s.replace(/\s+/g, ' ').slice(0, 220);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Self time of a V8 CPU profile by module and by function, and the inclusive time of the main stages. */
function summarise(
  profile: {
    nodes: {
      id: number;
      children?: number[];
      callFrame: { functionName: string; url: string; lineNumber: number };
    }[];
    samples: number[];
    timeDeltas: number[];
  },
  operations: number,
) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const bucket = (url: string, fn: string) => {
    if (!url) return fn === '(garbage collector)' ? 'GC' : fn.startsWith('(') ? fn : 'native/V8';
    const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    if (m) return m[1]!;
    if (url.startsWith('node:')) return 'node core';
    const src = url.match(/\/(src|bench)\/(.*)$/);
    return src ? `${src[1]}/${src[2]!.split('/').slice(0, 2).join('/')}` : url;
  };
  // inclusive stages: a sample counts for a stage when the stage's function is on its stack (so the
  // driver's time also counts under the ORM stage that sent the statement)
  const stages: [string, (fn: string, url: string) => boolean][] = [
    [
      'MikroORM flush (UnitOfWork.doCommit: change sets, ordering, persisting, its statements sent)',
      (f, u) => f === 'doCommit' && u.endsWith('unit-of-work/UnitOfWork.js'),
    ],
    ['  change set computation (computeChangeSets)', (f) => f === 'computeChangeSets'],
    [
      '  change set persister (ChangeSetPersister, its statements sent)',
      (_f, u) => u.endsWith('ChangeSetPersister.js'),
    ],
    [
      'MikroORM queries (QueryBuilder, kysely: building them and sending them)',
      (_f, u) => /QueryBuilder(Helper)?\.js$|CriteriaNode|kysely/.test(u),
    ],
    ['MikroORM hydration / entity factory', (_f, u) => /EntityFactory\.js$|Hydrator\.js$/.test(u)],
    [
      'em.fork / transactional setup',
      (f, u) => (f === 'fork' || f === 'transactional') && u.includes('EntityManager.js'),
    ],
    ['pg driver (pg, pg-protocol, pg-pool)', (_f, u) => /node_modules\/pg(-protocol|-pool)?\//.test(u)],
    [
      'parsing / composing the message (postal-mime, nodemailer, message.ts)',
      (_f, u) => /postal-mime|nodemailer|domain\/(message|raw-message)\.ts/.test(u),
    ],
    ['our application code (src/application)', (_f, u) => u.includes('/src/application/')],
    ['our domain (src/domain)', (_f, u) => u.includes('/src/domain/')],
    ['GC', (f) => f === '(garbage collector)'],
  ];
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  // the first sample carries the time before profiling began (the inspector's own call): skipped
  profile.samples.forEach((id, i) => {
    if (i === 0) return;
    const us = profile.timeDeltas[i] ?? 0;
    const n = byId.get(id)!;
    const f = n.callFrame;
    if (f.functionName === '(idle)') return void (idle += us);
    busy += us;
    const b = bucket(f.url, f.functionName);
    modules.set(b, (modules.get(b) ?? 0) + us);
    const fk = `${f.functionName || '(anonymous)'} ${b}:${f.lineNumber + 1}`;
    functions.set(fk, (functions.get(fk) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const c = byId.get(at)!.callFrame;
      for (const [name, test] of stages) if (!seen.has(name) && test(c.functionName, c.url)) seen.add(name);
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  });
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => `  ${pct(us)}  ${name}`);
  return [
    `busy ${(busy / 1000 / operations).toFixed(3)} ms per operation, idle (waiting for the database) ${(idle / 1000 / operations).toFixed(3)} ms`,
    'inclusive time by stage (% of busy):',
    ...stages.filter(([n]) => inclusive.has(n)).map(([n]) => `  ${pct(inclusive.get(n)!)}  ${n}`),
    'self time by module:',
    ...top(modules, 20),
    'top functions (self):',
    ...top(functions, 25),
  ];
}

const server = await resolveDatabaseSettings();
const dbName = `aether_profile_${sizeName}`;
const settings = values.reuse ? settingsFor(server, dbName) : await createMigratedDatabase(server, dbName);
const db = await openBenchDatabase(settings);
if (!values.reuse) await seedFixture(db, fixture, (l) => console.error(l));
const prisma = await openPrisma(settings);
const ourLines: string[] = [];
let logOurs = false;
const counted = await openAether({
  settings: { ...settings, poolMax: 2 },
  debug: true,
  logger: (line) => {
    if (logOurs && line.startsWith('[query]')) ourLines.push(line.replace(/^\[query\] /, ''));
  },
});
const basePool = plainPool(settings.direct);
const baseLog = loggingPool(basePool);
const prismaPool = plainPool(settings.direct);
const prismaLog = loggingPool(prismaPool);
const { PrismaPg } = await import('@prisma/adapter-pg');
const { PrismaClient } = await import('./prisma/generated/client.js');
const loggedPrisma = new PrismaClient({ adapter: new PrismaPg(prismaPool, { schema: settings.direct.schema }) });

let iteration = 1_000_000; // far from the interleaved runs' numbers (they pick recipients and names by it)
try {
  for (const spec of defineWorkloads(sizes).filter((w) => ['single delivery', 'load-change-save'].includes(w.name))) {
    const bound = await spec.on({ ...db, pool: basePool });
    console.log(`\n=== ${spec.name} (${sizeName}: ${fixture.emails} emails, ${fixture.mailboxes} mailboxes) ===`);
    // the statements of one operation of each side (after a warm-up one)
    for (const [label, side, capture] of [
      [
        'ours',
        bound.ours(counted),
        async (w: () => Promise<unknown>) => {
          ourLines.length = 0;
          logOurs = true;
          try {
            await w();
          } finally {
            logOurs = false;
          }
          return [...ourLines];
        },
      ],
      ['baseline', bound.baseline, baseLog.capture],
      ['prisma', bound.prisma(loggedPrisma), prismaLog.capture],
    ] as [string, AnySide, (w: () => Promise<unknown>) => Promise<string[]>][]) {
      const warm = iteration++;
      await side.verify(await side.run(warm), warm);
      const i = iteration++;
      let result: unknown;
      const lines = await capture(async () => (result = await side.run(i)));
      await side.verify(result, i);
      console.log(`-- ${label}: ${lines.length} statements`);
      for (const l of lines) console.log(`   ${oneLine(l)}`);
    }
    // interleaved: wall and CPU per operation
    const sides: [string, AnySide][] = [
      ['ours', bound.ours(db.aether)],
      ['baseline', bound.baseline],
      ['prisma', bound.prisma(prisma.prisma)],
    ];
    const wall: Record<string, number[]> = { ours: [], baseline: [], prisma: [] };
    const cpu: Record<string, number[]> = { ours: [], baseline: [], prisma: [] };
    const [warmRuns, measured] = spec.name === 'single delivery' ? sizes.single : sizes.lcs;
    for (let round = 0; round < warmRuns + measured; round++) {
      for (const [key, side] of round % 2 === 0 ? sides : [...sides].reverse()) {
        const n = iteration++;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const result = await side.run(n);
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        await side.verify(result, n);
        if (round >= warmRuns) {
          wall[key]!.push(ms);
          cpu[key]!.push((c.user + c.system) / 1000);
        }
      }
    }
    const b = { wall: median(wall.baseline!), cpu: median(cpu.baseline!) };
    for (const key of ['ours', 'baseline', 'prisma']) {
      const w = median(wall[key]!);
      const c = median(cpu[key]!);
      console.log(
        `${key.padEnd(9)} wall p50 ${w.toFixed(3)} ms (${(w / b.wall).toFixed(2)}× baseline)   cpu p50 ${c.toFixed(3)} ms (${(c / b.cpu).toFixed(2)}×)`,
      );
    }
    console.log(
      `ours ÷ prisma: wall ${(median(wall.ours!) / median(wall.prisma!)).toFixed(2)}, cpu ${(median(cpu.ours!) / median(cpu.prisma!)).toFixed(2)}`,
    );
    // each operation's statements from send to reply, and the client between them
    const split: Record<string, { wall: number[]; sendToReply: number[]; statements: number[] }> = {};
    for (let round = 0; round < 320; round++) {
      for (const [key, side] of round % 2 === 0 ? sides : [...sides].reverse()) {
        const n = iteration++;
        const w = { sendToReply: 0, statements: 0 };
        watching = w;
        const t0 = performance.now();
        let result: unknown;
        try {
          result = await side.run(n);
        } finally {
          watching = null;
        }
        const ms = performance.now() - t0;
        await side.verify(result, n);
        if (round < 20) continue;
        const r = (split[key] ??= { wall: [], sendToReply: [], statements: [] });
        r.wall.push(ms);
        r.sendToReply.push(w.sendToReply);
        r.statements.push(w.statements);
      }
    }
    console.log('send → reply per operation (summed over its statements), and the client between them:');
    for (const key of ['ours', 'baseline', 'prisma']) {
      const r = split[key]!;
      const reply = median(r.sendToReply);
      const between = median(r.wall.map((w, i) => w - r.sendToReply[i]!));
      console.log(
        `${key.padEnd(9)} ${median(r.statements)} statements: send → reply ${reply.toFixed(3)} ms ` +
          `(${(reply / median(r.statements)).toFixed(3)} ms each), client between them ${between.toFixed(3)} ms`,
      );
    }
    if (values.profile) {
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      const ours = bound.ours(db.aether);
      await session.post('Profiler.start');
      let last: unknown;
      for (let k = 0; k < measured; k++) last = await ours.run(iteration++);
      const { profile } = await session.post('Profiler.stop');
      await ours.verify(last, iteration - 1);
      session.disconnect();
      await mkdir(values.profile, { recursive: true });
      const file = path.join(values.profile, `${spec.name.replaceAll(' ', '-')}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      console.log(`profile of ${measured} runs of ours (the last one verified): ${file}`);
      for (const line of summarise(profile as never, measured)) console.log(line);
    }
  }
} finally {
  await loggedPrisma.$disconnect().catch(() => {});
  await counted.close();
  await prisma.close();
  await basePool.end().catch(() => {});
  await db.close();
}
