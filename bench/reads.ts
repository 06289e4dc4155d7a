/**
 * The IMAP/JMAP read workloads of issue #20, each ours (MessageStoreService) against the best
 * hand-written SQL returning the same rows, every result checked, with the EXPLAIN ANALYZE plan of
 * each side's main statement:
 *  - UID FETCH of 1,000 messages (flags, envelope, structure): `store.fetch`;
 *  - what changed since a modseq, over 50,000 journal entries (QRESYNC, JMAP Email/changes): `store.changesSince`;
 *  - SEARCH SUBJECT in a folder of 200,000 emails: `store.search`.
 * A database of its own: one mailbox seeded by the volume seeder, then grown set-based (copies of
 * its own rows, new UIDs) to the search size, and a journal of set-based entries. `npm run bench -- --reads`.
 */
import assert from 'node:assert/strict';
import type { Aether } from '../src/infrastructure/aether.js';
import { dropDatabase } from '../src/infrastructure/database/admin-client.js';
import { replayFolderJournal, replayJournal } from '../src/application/message-store-service.js';
import { IMAP_SYSTEM_FLAGS, SYSTEM_FLAGS } from '../src/domain/imap-flags.js';
import { seedVolume, VOLUME_DEFAULTS } from '../src/seeders/VolumeSeeder.js';
import { createMigratedDatabase } from './database.js';
import { interleave, openBenchDatabase, openCountingAether, statementsOf } from './harness.js';
import { summarize, type Stats } from './stats.js';
import type { AnySide, BenchDatabase } from './types.js';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { resolveDatabaseSettings } from '../src/infrastructure/database/database-settings.js';

export interface ReadsSizes {
  /** Emails the volume seeder writes into the one mailbox. */
  seeded: number;
  /** Emails in the mailbox's INBOX after growing it (a multiple of `seeded`). */
  emails: number;
  /** Journal entries after the modseq asked about. */
  changes: number;
  /** UIDs fetched (1:fetch). */
  fetch: number;
  /** Search results per page. */
  searchLimit: number;
  runs: [warm: number, measured: number];
}

export const READS_FULL: ReadsSizes = {
  seeded: 25_000,
  emails: 200_000,
  changes: 50_000,
  fetch: 1_000,
  searchLimit: 100,
  runs: [5, 30],
};
export const READS_SMOKE: ReadsSizes = {
  seeded: 250,
  emails: 1_000,
  changes: 500,
  fetch: 100,
  searchLimit: 20,
  runs: [2, 4],
};

export interface ReadsOptions {
  smoke?: boolean;
  settings?: DatabaseSettings;
  /** Name of the database (dropped and recreated); `aether_bench_reads` by default. */
  database?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface ReadWorkloadResult {
  name: string;
  description: string;
  ours: Stats;
  baseline: Stats;
  ratio: number;
  target: { maxRatio: number; label: string };
  met: boolean;
  statements: { ours: number; baseline: number };
  checked: { ours: number; baseline: number };
  assertionsPassed: boolean;
  /** EXPLAIN (ANALYZE) of each side's main statement. */
  plans: { ours: string; baseline: string };
  oursStatement: string;
  notes: string[];
}

export interface ReadsResult {
  smoke: boolean;
  startedAt: string;
  wallSeconds: number;
  fixture: ReadsSizes & { fixtureSeconds: number };
  workloads: ReadWorkloadResult[];
  allTargetsMet: boolean;
  allAssertionsPassed: boolean;
}

const MAX_RATIO = 1.5;

interface Fixture {
  mailboxId: string;
  folderId: string;
  highest: number;
}

/** The volume seeder writes one mailbox; it is then grown with copies of its own rows and given a journal, set-based. */
async function buildFixture(db: BenchDatabase, sizes: ReadsSizes, log: (line: string) => void): Promise<Fixture> {
  const { q } = db;
  await seedVolume(db.aether.orm.em, {
    users: 1,
    domains: 1,
    mailboxes: 1,
    emails: sizes.seeded,
    hotMailboxEmails: sizes.seeded,
    bodyBytes: VOLUME_DEFAULTS.bodyBytes,
  });
  const [box] = await q<{ mailbox_id: string; folder_id: string; n: number; top: string }>(
    `select e.mailbox_id, e.folder_id, count(*)::int as n, max(e.uid) as top from email e group by 1, 2`,
  );
  assert.ok(box && box.n === sizes.seeded, 'the seeder wrote one folder of one mailbox');
  const copies = Math.ceil(sizes.emails / sizes.seeded) - 1;
  const top = Number(box.top);
  log(
    `[reads] growing the INBOX to ${sizes.emails} emails (${copies} copies of the seeded ${sizes.seeded}, set-based)`,
  );
  // the inverted (GIN) indexes are built once after the growth, not row by row during it (a bulk load's
  // usual order): the fixture takes a fraction of the time, and the indexes end up the same
  const inverted = await q<{ name: string; definition: string }>(
    `select c.relname as name, pg_get_indexdef(c.oid) as definition
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
      where i.indrelid = 'email'::regclass and am.amname = 'gin' order by 1`,
  );
  for (const { name } of inverted) await q(`drop index ${name}`);
  await q(
    `insert into email (mailbox_id, id, folder_id, user_id, message_id, subject, from_address, to_addresses, cc_addresses,
       body, size_bytes, seen, flagged, answered, draft, received_at, created_at, content_hash, uid, modseq, deleted,
       keywords, thread_id, thread_keys)
     select e.mailbox_id, gen_random_uuid(), e.folder_id, e.user_id, e.message_id, e.subject, e.from_address, e.to_addresses,
       e.cc_addresses, e.body, e.size_bytes, e.seen, e.flagged, e.answered, e.draft,
       e.received_at + make_interval(secs => g.k * $3::int), e.created_at, e.content_hash, e.uid + g.k * $3::bigint, e.modseq,
       e.deleted, e.keywords, gen_random_uuid(), e.thread_keys
     from email e cross join generate_series(1, $4::int) g(k)
     where e.mailbox_id = $1 and e.folder_id = $2 and e.uid + g.k * $3::bigint <= $5`,
    [box.mailbox_id, box.folder_id, top, copies, sizes.emails],
  );
  // the counters as the application keeps them
  await q(
    `update folder f set uid_next = s.top + 1, message_count = s.n, unseen_count = s.unseen, size_bytes = s.bytes
       from (select max(uid) as top, count(*) as n, count(*) filter (where not seen) as unseen, sum(size_bytes) as bytes
               from email where mailbox_id = $1 and folder_id = $2) s
      where f.mailbox_id = $1 and f.id = $2`,
    [box.mailbox_id, box.folder_id],
  );
  await q(
    `update mailbox_usage set used_bytes = (select sum(size_bytes) from email where mailbox_id = $1) where mailbox_id = $1`,
    [box.mailbox_id],
  );
  // the journal: `changes` entries after modseq 1 (the seeded mail's), over distinct emails spread over the
  // folder, the first tenth "added", the rest "changed", and a fifth of the emails changed twice
  const distinct = Math.ceil(sizes.changes * 0.8);
  const step = Math.max(1, Math.floor(sizes.emails / distinct));
  log(`[reads] writing ${sizes.changes} journal entries over ${distinct} emails (set-based)`);
  await q(
    `with picked as (
       select e.id, e.uid, row_number() over (order by e.uid) as r
         from email e where e.mailbox_id = $1 and e.folder_id = $2 and e.uid % $4 = 0 order by e.uid limit $5)
     insert into mail_change (mailbox_id, id, modseq, kind, folder_id, uid, email_id, created_at, owner_id)
     select $1, gen_random_uuid(), 1 + n, case when n <= $3 / 10 then 'added' else 'changed' end, $2, p.uid, p.id, now(),
            (select owner_id from address where id = $1)
       from generate_series(1, $3::int) n join picked p on p.r = (n - 1) % $5 + 1`,
    [box.mailbox_id, box.folder_id, sizes.changes, step, distinct],
  );
  await q(
    `update email e set modseq = c.m, seen = true
       from (select email_id, max(modseq) as m from mail_change where mailbox_id = $1 group by email_id) c
      where e.mailbox_id = $1 and e.id = c.email_id`,
    [box.mailbox_id],
  );
  await q(
    `update folder f set unseen_count = (select count(*) from email where mailbox_id = $1 and folder_id = $2 and not seen)
      where f.mailbox_id = $1 and f.id = $2`,
    [box.mailbox_id, box.folder_id],
  );
  for (const { definition } of inverted) await q(definition);
  const highest = 1 + sizes.changes;
  await q(
    `insert into mailbox_state (mailbox_id, owner_id, highest_modseq, journal_floor)
     select id, owner_id, $2, 0 from address where id = $1
     on conflict (mailbox_id) do update set highest_modseq = excluded.highest_modseq, journal_floor = 0`,
    [box.mailbox_id, highest],
  );
  const [check] = await q<{ n: number; j: number }>(
    `select (select count(*)::int from email where mailbox_id = $1 and folder_id = $2) as n,
            (select count(*)::int from mail_change where mailbox_id = $1 and modseq > 1) as j`,
    [box.mailbox_id, box.folder_id],
  );
  assert.equal(check?.n, sizes.emails, 'the INBOX holds the search size');
  assert.equal(check?.j, sizes.changes, 'the journal holds the changes');
  await q('vacuum analyze');
  return { mailboxId: box.mailbox_id, folderId: box.folder_id, highest };
}

interface ReadWorkload {
  name: string;
  description: string;
  notes: string[];
  ours: (a: Aether) => AnySide;
  baseline: AnySide & { statement: { text: string; params: unknown[] } };
  /** Picks our main statement out of the ones one operation logged. */
  oursMain: (sql: string) => boolean;
  /** Its parameters, for EXPLAIN (the query log shows placeholders, and ours are set here to match). */
  oursParams: unknown[];
}

const flagNames = (r: Record<string, unknown>) => [
  ...SYSTEM_FLAGS.filter((f) => r[f]).map((f) => IMAP_SYSTEM_FLAGS[f]),
  ...(r.keywords as string[]),
];

function defineReads(db: BenchDatabase, fixture: Fixture, sizes: ReadsSizes) {
  const { q, pool } = db;
  const { mailboxId, folderId } = fixture;
  return async (): Promise<ReadWorkload[]> => {
    // ---- UID FETCH 1:n (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE) ----------------------------
    const fetchExpected = await q<{ id: string; uid: string; content_hash: string }>(
      `select id, uid, content_hash from email where mailbox_id = $1 and folder_id = $2 and uid between 1 and $3 order by uid`,
      [mailboxId, folderId, sizes.fetch],
    );
    assert.equal(fetchExpected.length, sizes.fetch);
    const fetchKey = fetchExpected.map((r) => `${r.id}/${r.uid}/${r.content_hash}`);
    const fetchSql = {
      text: `select e.id, e.thread_id, e.uid, e.modseq, e.seen, e.answered, e.flagged, e.deleted, e.draft, e.keywords,
               e.received_at, e.size_bytes, m.content_hash, m.envelope, m.structure, m.attachments
             from email e join message m on m.mailbox_id = e.mailbox_id and m.content_hash = e.content_hash
             where e.mailbox_id = $1 and e.folder_id = $2 and e.uid between $3 and $4 order by e.uid`,
      params: [mailboxId, folderId, 1, sizes.fetch],
    };
    const fetch: ReadWorkload = {
      name: `UID FETCH 1:${sizes.fetch}`,
      description: `UID FETCH 1:${sizes.fetch} (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE) in a folder of ${sizes.emails}`,
      notes: ['baseline: one statement joining email and message; ours: one read-only snapshot unit of work'],
      ours: (a) => ({
        run: () => a.store.fetch({ mailboxId, folderId, uids: `1:${sizes.fetch}` }),
        verify: (rows: { emailId: string; uid: number; contentHash: string; envelope: unknown; flags: string[] }[]) => {
          assert.deepEqual(
            rows.map((r) => `${r.emailId}/${r.uid}/${r.contentHash}`),
            fetchKey,
          );
          assert.ok(rows.every((r) => r.envelope && Array.isArray(r.flags)));
        },
      }),
      baseline: {
        statement: fetchSql,
        run: async () =>
          (await pool.query(fetchSql.text, fetchSql.params)).rows.map((r) => ({
            emailId: r.id as string,
            threadId: r.thread_id as string,
            uid: Number(r.uid),
            modseq: Number(r.modseq),
            flags: flagNames(r),
            internalDate: r.received_at as Date,
            sizeBytes: r.size_bytes as number,
            contentHash: r.content_hash as string,
            envelope: r.envelope,
            structure: r.structure,
            attachments: r.attachments,
          })),
        verify: (rows: { emailId: string; uid: number; contentHash: string; envelope: unknown }[]) => {
          assert.deepEqual(
            rows.map((r) => `${r.emailId}/${r.uid}/${r.contentHash}`),
            fetchKey,
          );
          assert.ok(rows.every((r) => r.envelope));
        },
      },
      oursMain: (s) => /\bjoin\b[^]*\bmessage\b/.test(s) && /\buid\b/.test(s),
      oursParams: [mailboxId, folderId, 1, sizes.fetch],
    };

    // ---- changes since a modseq (QRESYNC, JMAP Email/changes) ---------------------------------------------
    const since = 1;
    const reference = await q<{ folder_id: string; uid: string; state: string }>(
      `select folder_id, uid,
              coalesce((array_agg(kind order by modseq desc, id desc) filter (where kind <> 'changed'))[1], 'changed') as state
         from mail_change where mailbox_id = $1 and modseq > $2 and kind <> 'folder' group by folder_id, uid`,
      [mailboxId, since],
    );
    const pick = (state: string) =>
      reference
        .filter((r) => r.state === state)
        .map((r) => Number(r.uid))
        .sort((a, b) => a - b);
    const changesExpected = {
      [folderId]: { added: pick('added'), changed: pick('changed'), expunged: pick('expunged') },
    };
    assert.ok(changesExpected[folderId]!.added.length > 0 && changesExpected[folderId]!.changed.length > 0);
    // the journal rows with the state as two one-off subqueries (InitPlans): one statement, one snapshot,
    // the modseq index's order; a mailbox with no change since reads its state alone (not this fixture)
    const changesSql = {
      text: `select c.kind, c.folder_id, c.uid, c.folder_event,
                    (select highest_modseq from mailbox_state where mailbox_id = $1) as highest_modseq,
                    (select journal_floor from mailbox_state where mailbox_id = $1) as journal_floor
               from mail_change c where c.mailbox_id = $1 and c.modseq > $2 order by c.modseq, c.id`,
      params: [mailboxId, since],
    };
    type Changes = { highestModseq: number; folders: unknown; mailboxes: { countsChanged: string[] } };
    const verifyChanges = (c: Changes) => {
      assert.equal(c.highestModseq, fixture.highest);
      assert.deepEqual(c.folders, changesExpected);
      assert.deepEqual(c.mailboxes.countsChanged, [folderId]);
    };
    const changes: ReadWorkload = {
      name: `changes since a modseq (${sizes.changes})`,
      description: `what changed since modseq ${since}: ${sizes.changes} journal entries folded into added/changed/expunged UIDs`,
      notes: [
        'baseline: one statement (the journal rows, the state as InitPlans), folded by the same replay functions as ours',
      ],
      ours: (a) => ({
        run: () => a.store.changesSince({ mailboxId, modseq: since }),
        verify: verifyChanges,
      }),
      baseline: {
        statement: changesSql,
        run: async () => {
          const rows = (await pool.query(changesSql.text, changesSql.params)).rows;
          const state =
            rows[0] ??
            (
              await pool.query('select highest_modseq, journal_floor from mailbox_state where mailbox_id = $1', [
                mailboxId,
              ])
            ).rows[0];
          if (!state) throw new Error('no mailbox state');
          if (since < Number(state.journal_floor)) throw new Error('CANNOT_CALCULATE_CHANGES');
          const entries = rows
            .filter((r) => r.kind !== null)
            .map((r) => ({
              kind: r.kind,
              folderId: r.folder_id as string,
              uid: r.uid === null ? null : Number(r.uid),
              folderEvent: r.folder_event,
            }));
          return {
            since,
            highestModseq: Number(state.highest_modseq),
            folders: replayJournal(entries),
            mailboxes: replayFolderJournal(entries),
          };
        },
        verify: verifyChanges,
      },
      oursMain: (s) => /\bfrom\b[^]*\bmail_change\b/.test(s),
      oursParams: [mailboxId, since],
    };

    // ---- SEARCH SUBJECT <word> at the search size -----------------------------------------------------------
    // a word of the subjects found in about a tenth to a half of the folder, so the page is a real search
    const words = await q<{ word: string; n: number }>(
      `select w as word, count(*)::int as n
         from (select distinct on (subject) subject from email where mailbox_id = $1 limit 500) s,
              regexp_split_to_table(lower(s.subject), '[^a-z]+') w
        where length(w) >= 4 group by w order by count(*) desc, w limit 20`,
      [mailboxId],
    );
    let word = words[0]?.word;
    for (const w of words) {
      const [{ n }] = (await q<{ n: number }>(
        `select count(*)::int as n from email where mailbox_id = $1 and folder_id = $2 and lower(subject) ~ ('\\m' || $3 || '\\M')`,
        [mailboxId, folderId, w.word],
      )) as [{ n: number }];
      if (n >= sizes.searchLimit && n <= sizes.emails / 2) {
        word = w.word;
        break;
      }
    }
    assert.ok(word, 'a word to search for');
    const searchSql = {
      text: `select e.id, e.uid, e.modseq, e.thread_id from email e
              where e.mailbox_id = $1 and e.folder_id = $2
                and email_search_document(e.subject, e.from_address, e.to_addresses, e.cc_addresses, e.body) @@ $3::tsquery
              order by e.uid limit $4`,
      params: [mailboxId, folderId, `'${word}':A`, sizes.searchLimit + 1],
    };
    const searchExpected = await q<{ id: string; uid: string; subject: string }>(
      `select id, uid, subject from email where mailbox_id = $1 and folder_id = $2 and lower(subject) ~ ('\\m' || $3 || '\\M')
        order by uid limit $4`,
      [mailboxId, folderId, word, sizes.searchLimit],
    );
    assert.equal(searchExpected.length, sizes.searchLimit);
    const searchIds = searchExpected.map((r) => r.id);
    const search: ReadWorkload = {
      name: `SEARCH at ${sizes.emails}`,
      description: `SEARCH SUBJECT "${word}" in a folder of ${sizes.emails}, first ${sizes.searchLimit} by UID`,
      notes: ['baseline: the same full-text statement with the tsquery written by hand (no tsquery round trip)'],
      ours: (a) => ({
        run: () => a.store.search({ mailboxId, folderId, subject: word, limit: sizes.searchLimit }),
        verify: (page: { items: { emailId: string }[]; nextCursor: string | null }) => {
          assert.deepEqual(
            page.items.map((h) => h.emailId),
            searchIds,
          );
          assert.ok(page.nextCursor);
        },
      }),
      baseline: {
        statement: searchSql,
        run: async () => (await pool.query(searchSql.text, searchSql.params)).rows,
        verify: (rows: { id: string }[]) => {
          assert.equal(rows.length, sizes.searchLimit + 1);
          assert.deepEqual(
            rows.slice(0, sizes.searchLimit).map((r) => r.id),
            searchIds,
          );
        },
      },
      oursMain: (s) => s.includes('@@'),
      oursParams: [mailboxId, folderId, `'${word}':A`, sizes.searchLimit + 1],
    };
    return [fetch, changes, search];
  };
}

/** A MikroORM query log line (`[query] <sql> [took …]`) back to its SQL, parameters inlined by the logger. */
function loggedSql(line: string): string {
  return line
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/^\[query\]\s*/, '')
    .replace(/\s*\[took [^\]]*\]\s*(\(via [^)]*\))?\s*$/, '')
    .trim();
}

/** `?` placeholders as `$1`, `$2` … */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

async function explain(db: BenchDatabase, text: string, params: unknown[] = []): Promise<string> {
  const rows = await db.q<{ 'QUERY PLAN': string }>(`explain (analyze, costs off, timing off) ${text}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

export async function runReads(options: ReadsOptions = {}): Promise<ReadsResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const smoke = options.smoke ?? false;
  const sizes = smoke ? READS_SMOKE : READS_FULL;
  const log = options.log ?? ((line: string) => console.error(line));
  const server = options.settings ?? (await resolveDatabaseSettings());
  const name = options.database ?? (smoke ? 'aether_bench_reads_smoke' : 'aether_bench_reads');
  log(`[reads] database ${name} (dropped, recreated, migrated)`);
  const settings = await createMigratedDatabase(server, name);
  const db = await openBenchDatabase(settings);
  const { aether: counted, countOurs, statements } = await openCountingAether(settings);
  try {
    const t = performance.now();
    const fixture = await buildFixture(db, sizes, log);
    const fixtureSeconds = (performance.now() - t) / 1000;
    log(`[reads] fixture built in ${fixtureSeconds.toFixed(1)} s`);
    const workloads: ReadWorkloadResult[] = [];
    for (const w of await defineReads(db, fixture, sizes)()) {
      const { samples, checked, iterations } = await interleave(
        [
          ['ours', w.ours(db.aether)],
          ['baseline', w.baseline],
        ],
        sizes.runs,
      );
      const oursStatements = await statementsOf(w.ours(counted), iterations, countOurs);
      const main = statements.map(loggedSql).find(w.oursMain);
      assert.ok(main, `${w.name}: our main statement was logged`);
      const baselineStatements = await statementsOf(w.baseline, iterations + 1, db.countStatements);
      const plans = {
        ours: await explain(db, numbered(main), w.oursParams).catch((e: Error) => {
          throw new Error(`${w.name}: EXPLAIN of our statement failed (${e.message}): ${main}`);
        }),
        baseline: await explain(db, w.baseline.statement.text, w.baseline.statement.params),
      };
      const ours = summarize(samples.ours);
      const baseline = summarize(samples.baseline);
      const ratio = ours.median / baseline.median;
      const result: ReadWorkloadResult = {
        name: w.name,
        description: w.description,
        ours,
        baseline,
        ratio,
        target: { maxRatio: MAX_RATIO, label: `≤ ${MAX_RATIO}×` },
        met: ratio <= MAX_RATIO,
        statements: { ours: oursStatements, baseline: baselineStatements },
        checked: { ours: checked.ours!, baseline: checked.baseline! },
        assertionsPassed: true,
        plans,
        oursStatement: main,
        notes: w.notes,
      };
      workloads.push(result);
      log(
        `[reads] ${w.name}: ours ${ours.median.toFixed(2)} ms, baseline ${baseline.median.toFixed(2)} ms; ratio ${ratio.toFixed(2)} ` +
          `(target ≤ ${MAX_RATIO}) ${result.met ? 'met' : 'MISSED'}; statements ${oursStatements} / ${baselineStatements}`,
      );
    }
    return {
      smoke,
      startedAt,
      wallSeconds: (performance.now() - started) / 1000,
      fixture: { ...sizes, fixtureSeconds },
      workloads,
      allTargetsMet: workloads.every((w) => w.met),
      allAssertionsPassed: workloads.every((w) => w.assertionsPassed),
    };
  } finally {
    await db.close();
    await counted.close();
    if (!options.keep) await dropDatabase(server.direct, name).catch(() => {});
  }
}

/** The reads as a markdown table, then each side's plan of each workload. */
export function formatReadsTable(r: ReadsResult, { plans = false } = {}): string {
  const lines = [
    `IMAP/JMAP reads (issue #20): one mailbox, INBOX of ${r.fixture.emails} emails, journal of ${r.fixture.changes} changes`,
    '',
    '| workload | ours p50 (ms) | baseline p50 (ms) | ours ÷ baseline | target | statements (ours / baseline) |',
    '|---|---:|---:|---:|---|---:|',
    ...r.workloads.map(
      (w) =>
        `| ${w.name} | ${w.ours.median.toFixed(2)} | ${w.baseline.median.toFixed(2)} | ${w.ratio.toFixed(2)}× | ${w.target.label} ${w.met ? 'met' : 'MISSED'} | ${w.statements.ours} / ${w.statements.baseline} |`,
    ),
  ];
  if (plans) {
    for (const w of r.workloads) {
      lines.push('', `${w.name}, ours:`, w.plans.ours, '', `${w.name}, baseline:`, w.plans.baseline);
    }
  }
  return lines.join('\n');
}
