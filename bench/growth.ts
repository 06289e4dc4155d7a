/**
 * `npm run bench -- --growth`: how each workload's cost grows with the work (issue #20, "how cost
 * grows"). One database is grown step by step and measured at each step, so the biggest fixture is
 * built once:
 *
 *   step 1: 4,000 mailboxes, 1,000 emails in the hot mailbox, 200,000 emails in all
 *   step 2: the hot mailbox at 50,000 (249,000 in all)
 *   step 3: the hot mailbox at 1,000,000 (1,199,000 in all)
 *   step 4: 400,000 mailboxes, 2,000,000 emails in all (the new ones spread over the new mailboxes)
 *
 * The directory and a few emails per mailbox come from the volume seeder (real rows, made through
 * the domain); everything after that is set-based SQL on the server (`insert … select … from
 * generate_series(…)`), cloning the seeded rows: new mailboxes (with their six folders) copy a
 * seeded mailbox of the same domain, new emails copy a seeded email (its body, ~200 bytes, and its
 * message row, under a content hash of their own). The folder's UIDNEXT is raised before the insert
 * (the `email_uid_allocated` trigger checks every UID against it); the folder counts and the
 * mailboxes' used bytes are recounted afterwards, one statement each, and checked.
 *
 * At each step, ours and the hand-written baseline run interleaved (bench/harness.ts) for the inbox
 * page (first and deep), single delivery and counts per user: the same workload definitions as the
 * default run (bench/workloads.ts), bound to the grown fixture, every result checked.
 * Results: bench/results/growth.json (written after every step, so a stopped run keeps its steps).
 * `BENCH_GROWTH_STEPS=N` stops after step N.
 */
import assert from 'node:assert/strict';
import type pg from 'pg';
import { openAether } from '../src/infrastructure/aether.js';
import { dropDatabase } from '../src/infrastructure/database/admin-client.js';
import { seedVolume } from '../src/seeders/VolumeSeeder.js';
import { volumeMailboxAddress, type VolumeSize } from '../src/seeders/support/volume-layout.js';
import { createMigratedDatabase } from './database.js';
import { interleave, machineInfo, openBenchDatabase, startRun } from './harness.js';
import { type Stats, summarize } from './stats.js';
import type { BenchDatabase, BenchmarkOptions, BenchmarkResult, Sizes } from './types.js';
import { defineWorkloads } from './workloads.js';

/** Body bytes of every email in the growth fixture: small, so two million fit in a few GB. */
export const GROWTH_BODY_BYTES = 200;

export interface GrowthStep {
  mailboxes: number;
  /** Emails in the hot mailbox (mailbox 0's INBOX). */
  hot: number;
  /** Emails in all. */
  emails: number;
}

export interface GrowthPlan {
  users: number;
  domains: number;
  /** Seeded emails per mailbox besides the hot one (the templates the SQL clones). */
  seededPerMailbox: number;
  steps: GrowthStep[];
  runs: { page: [number, number]; single: [number, number]; counts: [number, number] };
}

export const FULL_GROWTH: GrowthPlan = {
  users: 1_000,
  domains: 2_000,
  seededPerMailbox: 2,
  steps: [
    { mailboxes: 4_000, hot: 1_000, emails: 200_000 },
    { mailboxes: 4_000, hot: 50_000, emails: 249_000 },
    { mailboxes: 4_000, hot: 1_000_000, emails: 1_199_000 },
    { mailboxes: 400_000, hot: 1_000_000, emails: 2_000_000 },
  ],
  runs: { page: [5, 40], single: [5, 40], counts: [1, 5] },
};

export const SMOKE_GROWTH: GrowthPlan = {
  users: 4,
  domains: 8,
  seededPerMailbox: 2,
  steps: [
    { mailboxes: 16, hot: 120, emails: 400 },
    { mailboxes: 16, hot: 300, emails: 600 },
    { mailboxes: 16, hot: 600, emails: 1_000 },
    { mailboxes: 40, hot: 600, emails: 1_500 },
  ],
  runs: { page: [1, 3], single: [1, 3], counts: [1, 2] },
};

/** The workloads measured at every step (named as in the default run). */
export const GROWTH_WORKLOADS = ['inbox page (first)', 'inbox page (deep)', 'counts per user', 'single delivery'];

export interface GrowthMeasurement {
  name: string;
  description: string;
  ours: Stats;
  baseline: Stats;
  /** ours ÷ baseline, medians. */
  ratio: number;
  /** Iterations whose result was checked (warm-ups included), per side. */
  checked: { ours: number; baseline: number };
}

export interface GrowthStepResult extends GrowthStep {
  /** Seconds the fixture took to grow to this step (seeder or SQL, with `vacuum analyze`). */
  buildSeconds: number;
  /** Emails actually in the database when measured (single delivery adds a few at every step). */
  emailRows: number;
  databaseBytes: number;
  workloads: GrowthMeasurement[];
}

export interface GrowthResult {
  smoke: boolean;
  startedAt: string;
  wallSeconds: number;
  machine: BenchmarkResult['machine'];
  fixture: { users: number; domains: number; bodyBytes: number; method: string };
  steps: GrowthStepResult[];
  allAssertionsPassed: boolean;
}

export interface GrowthOptions extends BenchmarkOptions {
  plan?: GrowthPlan;
  /** Stop after this many steps. */
  maxSteps?: number;
  /** Called with the result so far after every step (the CLI writes growth.json there). */
  onStep?: (partial: GrowthResult) => Promise<void> | void;
}

export async function runGrowthBenchmark(options: GrowthOptions = {}): Promise<GrowthResult> {
  const run = await startRun(options, 'aether_bench_growth');
  const { started, startedAt, smoke, log, server, database: name } = run;
  const plan = options.plan ?? (smoke ? SMOKE_GROWTH : FULL_GROWTH);
  const steps = plan.steps.slice(0, options.maxSteps ?? plan.steps.length);
  checkPlan(plan);

  log(`[growth] ${smoke ? 'smoke' : 'full'} run: database ${name} (dropped, recreated, migrated)`);
  const settings = await createMigratedDatabase(server, name);
  const db = await openBenchDatabase(settings);
  const result: GrowthResult = {
    smoke,
    startedAt,
    wallSeconds: 0,
    machine: await machineInfo(db),
    fixture: {
      users: plan.users,
      domains: plan.domains,
      bodyBytes: GROWTH_BODY_BYTES,
      method:
        `volume seeder: the directory at ${steps[0]!.mailboxes} mailboxes, ${plan.seededPerMailbox} emails per mailbox ` +
        'and the hot mailbox of step 1; then set-based SQL cloning seeded rows (mailboxes with their folders; emails with a message row each)',
    },
    steps: [],
    allAssertionsPassed: false,
  };
  try {
    let previous: GrowthStep | undefined;
    for (const [index, step] of steps.entries()) {
      const t = performance.now();
      if (!previous) await seedFirstStep(db, plan, step);
      else await grow(db, plan.domains, previous, step, log);
      await db.q('vacuum analyze');
      const buildSeconds = (performance.now() - t) / 1000;
      const counts = await checkFixture(db.pool, plan, step);
      log(
        `[growth] step ${index + 1}: ${step.mailboxes} mailboxes, hot ${step.hot}, ${counts.emailRows} emails ` +
          `(built in ${buildSeconds.toFixed(1)} s, database ${(counts.databaseBytes / 2 ** 30).toFixed(2)} GiB)`,
      );
      const workloads = await measureStep(db, plan, step, log);
      result.steps.push({ ...step, buildSeconds, ...counts, workloads });
      result.wallSeconds = (performance.now() - started) / 1000;
      await options.onStep?.(result);
      previous = step;
    }
    result.allAssertionsPassed = true;
    return result;
  } finally {
    await db.close();
    if (!options.keep) await dropDatabase(server.direct, name).catch(() => {});
    else log(`[growth] kept the database on the server (--keep)`);
  }
}

function checkPlan(plan: GrowthPlan): void {
  let previous: GrowthStep | undefined;
  for (const step of plan.steps) {
    assert.ok(step.hot >= 102, 'the hot mailbox holds a deep page and one more row');
    if (previous) {
      assert.ok(step.mailboxes >= previous.mailboxes && step.hot >= previous.hot, 'steps only grow');
      assert.ok(step.emails - step.hot >= previous.emails - previous.hot, 'steps only grow');
      // new mailboxes receive the new emails that are not the hot mailbox's, if there are any
      assert.ok(step.mailboxes % plan.domains === 0, 'every domain gets as many new mailboxes');
    }
    previous = step;
  }
  const first = plan.steps[0]!;
  assert.ok(first.emails - first.hot >= (first.mailboxes - 1) * plan.seededPerMailbox, 'the seeded emails fit step 1');
}

/** The fixture's layout (bench/workloads.ts reads the hot mailbox and the recipients from it). */
function layoutOf(plan: GrowthPlan, step: GrowthStep): VolumeSize {
  return { users: plan.users, domains: plan.domains, mailboxes: step.mailboxes, emails: step.emails, hot: step.hot };
}

/** Step 1: the directory, the hot mailbox and a few emails per mailbox by the seeder; the rest of step 1 by SQL. */
async function seedFirstStep(db: BenchDatabase, plan: GrowthPlan, step: GrowthStep): Promise<void> {
  const seeded = step.hot + (step.mailboxes - 1) * plan.seededPerMailbox;
  await seedVolume(db.aether.orm.em, {
    users: plan.users,
    domains: plan.domains,
    mailboxes: step.mailboxes,
    emails: seeded,
    hotMailboxEmails: step.hot,
    bodyBytes: GROWTH_BODY_BYTES,
  });
  await db.q('analyze');
  await addEmails(db.pool, { hot: false, from: 1, to: step.mailboxes }, step.emails - seeded, 'g1');
}

async function grow(
  db: BenchDatabase,
  domains: number,
  from: GrowthStep,
  to: GrowthStep,
  log: (line: string) => void,
): Promise<void> {
  const tag = `g${to.mailboxes}-${to.hot}-${to.emails}`;
  if (to.mailboxes > from.mailboxes) {
    log(`[growth] adding ${to.mailboxes - from.mailboxes} mailboxes`);
    await addMailboxes(db.pool, from.mailboxes, to.mailboxes, domains);
  }
  if (to.hot > from.hot) {
    log(`[growth] adding ${to.hot - from.hot} emails to the hot mailbox`);
    await addEmails(db.pool, { hot: true }, to.hot - from.hot, `${tag}-hot`, log);
  }
  const rest = to.emails - to.hot - (from.emails - from.hot);
  if (rest > 0) {
    // into the new mailboxes if there are any, else over every mailbox but the hot one
    const range =
      to.mailboxes > from.mailboxes ? { from: from.mailboxes, to: to.mailboxes } : { from: 1, to: to.mailboxes };
    log(`[growth] adding ${rest} emails to mailboxes ${range.from}–${range.to - 1}`);
    await addEmails(db.pool, { hot: false, ...range }, rest, `${tag}-rest`, log);
  }
}

/** The number k of a volume mailbox (`user<k>@d<k mod domains>.example`). */
const MAILBOX_NUMBER = `substring(a.address from '^user([0-9]+)@')::int`;

/**
 * Mailboxes `from` … `to - 1`: each a copy of mailbox k mod `from` (same domain and owner, as the
 * volume layout puts mailbox k on domain k mod domains), with the domain's default quota, nothing
 * used, and a copy of its six folders (empty, UIDNEXT 1).
 */
async function addMailboxes(pool: pg.Pool, from: number, to: number, domains: number): Promise<void> {
  // the template's address from its number alone (volumeMailboxAddress), so the join is on the address key
  assert.equal(volumeMailboxAddress(7, { users: 1, domains: 3, mailboxes: 8, emails: 0, hot: 0 }), 'user7@d1.example');
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(
      `create temp table growth_mailbox on commit drop as
       select k, gen_random_uuid() as id, t.id as template from generate_series($1::int, $2::int - 1) k
       join address t on t.address = 'user' || (k % $1) || '@d' || (k % $1 % $3) || '.example'`,
      [from, to, domains],
    );
    const inserted = await client.query(
      `insert into address (id, kind, address, domain_id, created_at, status, version, destinations, owner_id, domain_name)
       select g.id, 'mailbox', 'user' || g.k || '@' || t.domain_name, t.domain_id, t.created_at,
              'active', 1, null, t.owner_id, t.domain_name
       from growth_mailbox g join address t on t.id = g.template`,
    );
    assert.equal(inserted.rowCount, to - from, 'every new mailbox has a template on its domain');
    await client.query(
      `insert into mailbox_usage (mailbox_id, owner_id, quota_bytes, used_bytes, version)
       select g.id, t.owner_id, d.default_quota_bytes, 0, 1
       from growth_mailbox g join address t on t.id = g.template join domain d on d.id = t.domain_id`,
    );
    await client.query(
      `insert into folder (id, mailbox_id, path, role, created_at, version, uid_validity, uid_next, subscribed,
                           message_count, unseen_count, size_bytes, owner_id)
       select gen_random_uuid(), g.id, f.path, f.role, f.created_at, 1, f.uid_validity, 1, f.subscribed, 0, 0, 0, f.owner_id
       from growth_mailbox g join folder f on f.mailbox_id = g.template`,
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Rows per INSERT statement of the email generator (a transaction each, with its progress line). */
const EMAIL_CHUNK = 100_000;

/**
 * `count` new emails into the INBOX of the hot mailbox, or spread round-robin over the inboxes of
 * mailboxes `from` … `to - 1`, each a copy of a seeded email of the hot mailbox (its body, subject
 * and sender; a message row of its own, the seeded one's bytes under a new content hash), received
 * before every email already there, seen two times in three, modseq 1 (as the seeder). UIDNEXT is
 * raised first, in one statement; the folders' counts and the mailboxes' used bytes are recounted
 * from the rows afterwards, one statement each.
 */
async function addEmails(
  pool: pg.Pool,
  target: { hot: true } | { hot: false; from: number; to: number },
  count: number,
  tag: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  if (count <= 0) return;
  const client = await pool.connect();
  try {
    await client.query(`drop table if exists growth_target, growth_template`);
    const filter = target.hot ? `k = 0` : `k >= $1 and k < $2`;
    await client.query(
      `create temp table growth_target as
       select (row_number() over (order by k) - 1)::int as slot, mailbox_id, owner_id, folder_id, first_uid from (
         select ${MAILBOX_NUMBER} as k, a.id as mailbox_id, a.owner_id, f.id as folder_id, f.uid_next as first_uid
         from address a join folder f on f.mailbox_id = a.id and f.role = 'inbox' where a.kind = 'mailbox'
       ) m where ${filter}`,
      target.hot ? [] : [target.from, target.to],
    );
    await client.query('create unique index on growth_target (slot)');
    const [{ targets }] = (
      await client.query<{ targets: number }>('select count(*)::int as targets from growth_target')
    ).rows as [{ targets: number }];
    assert.ok(targets > 0, 'there are mailboxes to fill');
    // the templates: the seeded emails of the hot mailbox, numbered
    await client.query(
      `create temp table growth_template as
       select (row_number() over (order by e.id) - 1)::int as i, e.subject, e.from_address, e.to_addresses, e.body,
              e.size_bytes, m.raw, m.envelope, m.structure, m.attachments, m.html
       from email e join message m on m.mailbox_id = e.mailbox_id and m.content_hash = e.content_hash
       join address a on a.id = e.mailbox_id where a.address = $1 and e.message_id like '<%@volume.example>'`,
      [volumeMailboxAddress(0, { users: 1, domains: 1, mailboxes: 1, emails: 0, hot: 0 })],
    );
    await client.query('create unique index on growth_template (i)');
    const [{ templates }] = (
      await client.query<{ templates: number }>('select count(*)::int as templates from growth_template')
    ).rows as [{ templates: number }];
    assert.ok(templates > 0, 'the hot mailbox holds seeded emails to copy');
    const [{ oldest }] = (await client.query<{ oldest: Date }>('select min(received_at) as oldest from email'))
      .rows as [{ oldest: Date }];

    // UIDNEXT first, raised by what the rows below take, as the application's allocateUids raises it
    await client.query(
      `update folder f set uid_next = f.uid_next + ($1::int / $2::int) + (case when t.slot < $1::int % $2::int then 1 else 0 end)
       from growth_target t where f.id = t.folder_id`,
      [count, targets],
    );
    const began = performance.now();
    for (let start = 0; start < count; start += EMAIL_CHUNK) {
      const end = Math.min(start + EMAIL_CHUNK, count);
      await client.query('begin');
      // the n-th new email goes to mailbox slot n mod targets (its (n div targets)-th there) and copies template n mod templates
      const hash = (tag: string) => `encode(sha256(convert_to(${tag} || ':' || n, 'UTF8')), 'hex')`;
      await client.query(
        `insert into message (mailbox_id, owner_id, content_hash, raw, size_bytes, envelope, structure, attachments, html, created_at)
         select t.mailbox_id, t.owner_id, ${hash('$5::text')}, tp.raw, octet_length(tp.raw), tp.envelope, tp.structure,
                tp.attachments, tp.html, now()
         from generate_series($1::int, $2::int - 1) n join growth_template tp on tp.i = n % $4::int
         join growth_target t on t.slot = n % $3::int`,
        [start, end, targets, templates, tag],
      );
      const inserted = await client.query(
        `insert into email (mailbox_id, id, folder_id, user_id, content_hash, uid, modseq, message_id, subject, from_address,
                            to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
         select t.mailbox_id, gen_random_uuid(), t.folder_id, t.owner_id, ${hash('$5::text')}, t.first_uid + n / $3::int, 1,
                '<' || $5::text || '.' || n || '@growth.example>', tp.subject, tp.from_address, tp.to_addresses, '{}',
                tp.body, tp.size_bytes, n % 3 <> 0, false, false, false,
                $6::timestamptz - make_interval(secs => 1 + n / $3::int), now()
         from generate_series($1::int, $2::int - 1) n join growth_template tp on tp.i = n % $4::int
         join growth_target t on t.slot = n % $3::int`,
        [start, end, targets, templates, tag, oldest],
      );
      assert.equal(inserted.rowCount, end - start);
      await client.query('commit');
      const seconds = (performance.now() - began) / 1000;
      if (count > EMAIL_CHUNK) log(`[growth]   ${end} of ${count} (${Math.round(end / seconds)} emails/s)`);
    }
    // the counts, recounted from the rows: one statement for the folders, one for the mailboxes
    await client.query(
      `update folder f set message_count = c.n, unseen_count = c.unseen, size_bytes = c.bytes
       from (select e.folder_id, count(*) as n, count(*) filter (where not e.seen) as unseen, sum(e.size_bytes) as bytes
             from email e join growth_target t on t.mailbox_id = e.mailbox_id and t.folder_id = e.folder_id
             group by e.folder_id) c
       where f.id = c.folder_id`,
    );
    await client.query(
      `update mailbox_usage a set used_bytes = c.bytes, version = a.version + 1
       from (select e.mailbox_id, sum(e.size_bytes) as bytes
             from email e join growth_target t on t.mailbox_id = e.mailbox_id group by e.mailbox_id) c
       where a.mailbox_id = c.mailbox_id`,
    );
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.query(`drop table if exists growth_target, growth_template`).catch(() => {});
    client.release();
  }
}

/** The grown fixture is whole: the planned sizes, every folder's counts and mailbox's used bytes equal to its rows. */
async function checkFixture(
  pool: pg.Pool,
  plan: GrowthPlan,
  step: GrowthStep,
): Promise<{ emailRows: number; databaseBytes: number }> {
  const layout = layoutOf(plan, step);
  const [row] = (
    await pool.query<{
      mailboxes: number;
      hot: number;
      emails: number;
      bad_folders: number;
      bad_used: number;
      bytes: string;
    }>(
      `select (select count(*)::int from address where kind = 'mailbox') as mailboxes,
         (select count(*)::int from email e join address a on a.id = e.mailbox_id where a.address = $1) as hot,
         (select count(*)::int from email) as emails,
         (select count(*)::int from folder f left join (
            select folder_id, count(*) as n, count(*) filter (where not seen) as unseen, sum(size_bytes) as bytes, max(uid) as uid
            from email group by folder_id) c on c.folder_id = f.id
          where f.message_count <> coalesce(c.n, 0) or f.unseen_count <> coalesce(c.unseen, 0)
             or f.size_bytes <> coalesce(c.bytes, 0) or f.uid_next <= coalesce(c.uid, 0)) as bad_folders,
         (select count(*)::int from address a left join mailbox_usage u on u.mailbox_id = a.id
            left join (select mailbox_id, sum(size_bytes) as bytes from email group by mailbox_id) c
            on c.mailbox_id = a.id where a.kind = 'mailbox' and u.used_bytes is distinct from coalesce(c.bytes, 0)) as bad_used,
         pg_database_size(current_database())::text as bytes`,
      [volumeMailboxAddress(0, layout)],
    )
  ).rows;
  assert.equal(row?.mailboxes, step.mailboxes, 'mailboxes');
  assert.equal(row?.hot, step.hot, 'emails in the hot mailbox');
  // single delivery adds a few emails at every step (not to the hot mailbox)
  assert.ok(row!.emails >= step.emails, `emails: ${row?.emails} of at least ${step.emails}`);
  assert.equal(row?.bad_folders, 0, 'folders whose counts or UIDNEXT disagree with their email');
  assert.equal(row?.bad_used, 0, 'mailboxes whose used bytes disagree with their email');
  return { emailRows: row!.emails, databaseBytes: Number(row!.bytes) };
}

/** Ours and the baseline of each growth workload, interleaved, on the fixture as it is now. */
async function measureStep(
  db: BenchDatabase,
  plan: GrowthPlan,
  step: GrowthStep,
  log: (line: string) => void,
): Promise<GrowthMeasurement[]> {
  const sizes = {
    fixture: layoutOf(plan, step),
    page: plan.runs.page,
    single: plan.runs.single,
    counts: plan.runs.counts,
  } as Sizes; // the other workloads' sizes are not read: only these four are bound
  const measured: GrowthMeasurement[] = [];
  for (const spec of defineWorkloads(sizes).filter((w) => GROWTH_WORKLOADS.includes(w.name))) {
    const bound = await spec.on(db);
    const { samples, checked } = await interleave(
      [
        ['ours', bound.ours(db.aether)],
        ['baseline', bound.baseline],
      ],
      spec.runs,
    );
    const ours = summarize(samples.ours);
    const baseline = summarize(samples.baseline);
    measured.push({
      name: spec.name,
      description: bound.description,
      ours,
      baseline,
      ratio: ours.median / baseline.median,
      checked,
    });
    log(
      `[growth]   ${spec.name}: ours ${ours.median.toFixed(2)} ms, baseline ${baseline.median.toFixed(2)} ms ` +
        `(ratio ${(ours.median / baseline.median).toFixed(2)})`,
    );
  }
  assert.deepEqual(
    measured.map((m) => m.name),
    GROWTH_WORKLOADS,
  );
  return measured;
}

/** The table the CLI prints: one row per step, ours / baseline medians per workload. */
export function formatGrowthTable(result: GrowthResult): string {
  const header = ['mailboxes', 'hot', 'emails', ...GROWTH_WORKLOADS.map((w) => `${w} (ours / baseline ms)`)];
  const rows = result.steps.map((s) => [
    s.mailboxes.toLocaleString('en'),
    s.hot.toLocaleString('en'),
    s.emailRows.toLocaleString('en'),
    ...GROWTH_WORKLOADS.map((name) => {
      const w = s.workloads.find((m) => m.name === name)!;
      return `${w.ours.median.toFixed(2)} / ${w.baseline.median.toFixed(2)}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
