/**
 * Search: exactly what a scan of the folder finds (a property test against a plain filter over a
 * few thousand generated messages), in UID order and paged; refusals typed and writing nothing;
 * and the GIN index in the plan at 200,000 emails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSearch, searchStatement, searchTsquery, type SearchQuery } from '../../src/application/message-search.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 20 });

async function mailbox() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `s@${domain.name}` });
  const folders = (await db.aether.mailboxes.get(owner.id, box.id)).folders!;
  return { owner, box, inbox: folders.find((f) => f.role === 'inbox')!.id };
}

// words of several scripts: the 'simple' configuration finds each as written, in any language
const WORDS = [
  'amber',
  'birch',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'grove',
  'heron',
  'grüße',
  'москва',
  '東京',
  'jade',
];
const ADDRESSES = ['amber@birch.test', 'cedar@delta.test', 'ember@birch.test', 'fjord@grove.test', 'heron@jade.test'];
const BASE = Date.UTC(2026, 0, 1);
const CRITERIA = [
  'text',
  'subject',
  'from',
  'to',
  'body',
  'since',
  'before',
  'flags',
  'keywords',
  'withoutKeywords',
  'uids',
] as const;
const HOUR = 3_600_000;

interface Row {
  uid: number;
  subject: string;
  from: string;
  to: string[];
  body: string;
  flags: Record<string, boolean>;
  keywords: string[];
  receivedAt: number;
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);
const addressWords = (a: string) => [a, ...a.split(/[@.]/)];

/** The plain filter: what a scan of every row finds for a query (words compared lower-cased). */
function scan(rows: Row[], q: SearchQuery): number[] {
  const fields = (r: Row) => ({
    subject: words(r.subject),
    from: addressWords(r.from),
    to: r.to.flatMap(addressWords),
    body: words(r.body),
  });
  const has = (haystack: string[], text: string) => words(text.toLowerCase()).every((w) => haystack.includes(w));
  return rows
    .filter((r) => {
      const f = fields(r);
      if (q.text !== undefined && !has([...f.subject, ...f.from, ...f.to, ...f.body], q.text)) return false;
      for (const field of ['subject', 'from', 'to', 'body'] as const) {
        if (q[field] !== undefined && !has(f[field], q[field])) return false;
      }
      if (q.since && r.receivedAt < q.since.getTime()) return false;
      if (q.before && r.receivedAt >= q.before.getTime()) return false;
      for (const [flag, value] of Object.entries(q.flags ?? {})) if (r.flags[flag] !== value) return false;
      if (!(q.keywords ?? []).every((k) => r.keywords.includes(k))) return false;
      if ((q.withoutKeywords ?? []).some((k) => r.keywords.includes(k))) return false;
      if (typeof q.uids === 'string') {
        const [from, to] = q.uids.split(':');
        const largest = Math.max(...rows.map((x) => x.uid));
        const a = Number(from);
        const b = to === '*' ? largest : Number(to);
        if (r.uid < Math.min(a, b) || r.uid > Math.max(a, b)) return false;
      }
      return true;
    })
    .map((r) => r.uid)
    .sort((a, b) => a - b);
}

async function searchAll(q: SearchQuery): Promise<number[]> {
  const uids: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 5_000; page++) {
    const result = await db.aether.store.search({ ...q, cursor });
    uids.push(...result.items.map((i) => i.uid));
    cursor = result.nextCursor;
    if (!cursor) return uids;
  }
  throw new Error('search did not end');
}

describe('search', () => {
  it('finds exactly what a scan of a few thousand messages finds, in UID order, page by page', async () => {
    const { box, inbox } = await mailbox();
    const generated = fc.sample(
      fc.record({
        subject: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }),
        body: fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }),
        from: fc.constantFrom(...ADDRESSES),
        to: fc.uniqueArray(fc.constantFrom(...ADDRESSES), { minLength: 1, maxLength: 2 }),
        cc: fc.uniqueArray(fc.constantFrom(...ADDRESSES), { maxLength: 1 }),
      }),
      { numRuns: 2_000, seed: 16 },
    );
    for (let at = 0; at < generated.length; at += 500) {
      await db.aether.mail.deliverMany(
        box.address,
        generated.slice(at, at + 500).map((m) => ({ ...m, subject: m.subject.join(' '), body: m.body.join(' ') })),
      );
    }
    // flags and keywords through the store, on pseudo-random UIDs
    const pick = (salt: number, modulo: number) =>
      generated.map((_, i) => i + 1).filter((uid) => (uid * 7_919 + salt) % modulo === 0);
    const marks: [string[], number[]][] = [
      [['\\Seen'], pick(1, 2)],
      [['\\Flagged'], pick(2, 5)],
      [['\\Answered', 'work'], pick(3, 7)],
      [['$label1'], pick(4, 3)],
      [['\\Deleted'], pick(5, 11)],
    ];
    for (const [flags, uids] of marks) {
      for (let at = 0; at < uids.length; at += 500) {
        await db.aether.store.storeFlags({
          mailboxId: box.id,
          folderId: inbox,
          uids: uids.slice(at, at + 500),
          mode: 'add',
          flags,
        });
      }
    }
    // internal dates spread over 1,000 hours (the fixture's arrival times)
    await db.sql(
      `update email set received_at = $2::timestamptz + ((uid * 7919) % 1000) * interval '1 hour' where mailbox_id = $1`,
      [box.id, new Date(BASE)],
    );
    const rows: Row[] = (
      await db.sql<{
        uid: string;
        subject: string;
        from_address: string;
        to_addresses: string[];
        cc_addresses: string[];
        body: string;
        seen: boolean;
        flagged: boolean;
        answered: boolean;
        draft: boolean;
        deleted: boolean;
        keywords: string[];
        received_at: Date;
      }>(`select * from email where mailbox_id = $1 and folder_id = $2`, [box.id, inbox])
    ).map((r) => ({
      uid: Number(r.uid),
      subject: r.subject,
      from: r.from_address,
      to: [...r.to_addresses, ...r.cc_addresses],
      body: r.body,
      flags: { seen: r.seen, flagged: r.flagged, answered: r.answered, draft: r.draft, deleted: r.deleted },
      keywords: r.keywords,
      receivedAt: r.received_at.getTime(),
    }));
    expect(rows).toHaveLength(2_000);

    const word = fc.constantFrom(...WORDS);
    // ASCII words in any case: the search folds case as the index does
    const anyCase = word.chain((w) => (/^[a-z]+$/.test(w) ? fc.constantFrom(w, w.toUpperCase()) : fc.constant(w)));
    const addressPart = fc.oneof(fc.constantFrom(...ADDRESSES), fc.constantFrom('birch', 'amber', 'test', 'jade'));
    const date = fc.integer({ min: -10, max: 1_010 }).map((h) => new Date(BASE + h * HOUR));
    const criteria = fc.record({
      text: anyCase,
      subject: fc.array(anyCase, { minLength: 1, maxLength: 2 }).map((w) => w.join(' ')),
      from: addressPart,
      to: addressPart,
      body: fc.array(anyCase, { minLength: 1, maxLength: 2 }).map((w) => w.join(' ')),
      since: date,
      before: date,
      flags: fc.record(
        { seen: fc.boolean(), flagged: fc.boolean(), answered: fc.boolean(), deleted: fc.boolean() },
        { requiredKeys: [] },
      ),
      keywords: fc.constantFrom(['work'], ['$label1'], ['work', '$label1']),
      withoutKeywords: fc.constantFrom(['work'], ['$label1']),
      uids: fc
        .tuple(fc.integer({ min: 1, max: 2_100 }), fc.oneof(fc.integer({ min: 1, max: 2_100 }), fc.constant('*')))
        .map(([a, b]) => `${a}:${b}`),
    });
    // one to three criteria at a time (all of them at once would find nothing), any page size
    const query = fc
      .tuple(
        criteria,
        fc.shuffledSubarray([...CRITERIA], { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 15, max: 400 }),
      )
      .map(([all, keys, limit]) => ({ ...Object.fromEntries(keys.map((k) => [k, all[k]])), limit }) as SearchQuery);
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const expected = scan(rows, q);
        if (expected.length > 0) nonEmpty++;
        const found = await searchAll({ ...q, mailboxId: box.id, folderId: inbox });
        expect(found).toEqual(expected);
      }),
      { numRuns: 100, seed: 1_604 },
    );
    // the property did look at results, not only at empty answers
    expect(nonEmpty).toBeGreaterThan(50);
  }, 600_000);

  it(
    'refuses malformed queries with INVALID_SEARCH (and a bad cursor with INVALID_CURSOR), writing nothing',
    { timeout: 120_000 },
    async () => {
      const { box, inbox } = await mailbox();
      await db.aether.mail.deliverMany(box.address, [{ from: 'a@b.test', to: [box.address], subject: 'x', body: 'y' }]);
      const at = { mailboxId: box.id, folderId: inbox };
      for (const bad of [
        { text: '  ...  ' },
        { subject: 'x'.repeat(1_001) },
        { body: Array.from({ length: 33 }, (_, i) => `w${i}`).join(' ') },
        { since: new Date('nope') },
        { flags: { recent: true } },
        { flags: { seen: 'yes' } },
        { limit: 0 },
        { limit: 1_001 },
        { keywords: 'work' },
      ] as unknown as Partial<SearchQuery>[]) {
        await expectRefused(db, 'INVALID_SEARCH', () => db.aether.store.search({ ...at, ...bad }));
      }
      await expectRefused(db, 'INVALID_CURSOR', () =>
        db.aether.store.search({ ...at, cursor: Buffer.from(`x|${box.id}`).toString('base64url') }),
      );
      await expectRefused(db, 'INVALID_UID_SET', () => db.aether.store.search({ ...at, uids: '0:' }));
      await expectRefused(db, 'NOT_FOUND', () => db.aether.store.search({ ...at, folderId: box.id }));
    },
  );

  it('reads the GIN index at 200,000 emails (the plan, after ANALYZE)', async () => {
    const { box, inbox } = await mailbox();
    const { emailIds } = await db.aether.mail.deliverMany(box.address, [
      { from: 'a@b.test', to: [box.address], subject: 'seed', body: 'seed' },
    ]);
    const [seed] = await db.sql<{ content_hash: string; user_id: string }>(
      `select content_hash, user_id from email where id = $1`,
      [emailIds[0]],
    );
    // 200,000 emails in one mailbox's folder, made in the database: a few words each, one in
    // 10,000 carries a rare one
    await db.sql(`update folder set uid_next = 200002 where id = $1`, [inbox]);
    // the row triggers (folder and UID checks) are off for this bulk insert only: its rows are made
    // valid by construction (the folder's own, UIDs below the raised uid_next)
    const literal = (v: string) => `'${v.replaceAll("'", "''")}'`;
    await db.sql(
      `set session_replication_role = replica; insert into email (mailbox_id, id, folder_id, user_id, content_hash, thread_id, thread_keys, uid, modseq, message_id,
          subject, from_address, to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, deleted,
          keywords, received_at, created_at)
       select ${literal(box.id)}::uuid, gen_random_uuid(), ${literal(inbox)}::uuid, ${literal(seed!.user_id)}::uuid,
          ${literal(seed!.content_hash)}, gen_random_uuid(), '{}', n + 1, 1, '<v' || n || '@volume.test>',
          'report ' || (array['alpha','beta','gamma','delta'])[n % 4 + 1], 'sender' || (n % 50) || '@volume.test',
          array['someone@volume.test'], '{}', 'weekly numbers ' || case when n % 10000 = 0 then 'quetzal' else 'routine' end,
          100, n % 2 = 0, false, false, false, false, '{}', now() - n * interval '1 minute', now()
         from generate_series(1, 200000) n; set session_replication_role = origin;`,
    );
    await db.sql('analyze email');
    const em = db.aether.orm.em.fork();
    const checked = checkSearch({ mailboxId: box.id, folderId: inbox, body: 'quetzal', flags: { seen: true } });
    const tsquery = await searchTsquery(em, checked.texts);
    const { sql, params } = searchStatement(em, checked, tsquery, 0);
    let n = 0;
    const [plan] = await db.sql<{ 'QUERY PLAN': unknown }>(
      `explain (format json) ${sql.replace(/\?/g, () => `$${++n}`)}`,
      params,
    );
    const text = JSON.stringify(plan!['QUERY PLAN']);
    const indexes = (
      await db.sql<{ relname: string }>(
        `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'email_search_index'::regclass`,
      )
    ).map((r) => r.relname);
    expect(indexes).toHaveLength(16);
    const used = [...text.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]);
    expect(
      used.some((name) => indexes.includes(name!)),
      text,
    ).toBe(true);
    expect(text).toContain('Bitmap Index Scan');
    // and the search answers: the 20 emails with the rare word (every 10,000th, all seen), in UID order
    const found = await searchAll({ mailboxId: box.id, folderId: inbox, body: 'quetzal', flags: { seen: true } });
    expect(found).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * 10_000 + 1));
  }, 300_000);
});
