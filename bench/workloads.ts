/**
 * The benchmark's workloads, each defined once as a function of the database it runs on: what it
 * reads from the fixture for its checks, our side (the application services), the hand-written
 * baseline and the same work through Prisma (bench/prisma/operations.ts), every result checked.
 * bench/benchmark.ts and bench/partitioning.ts measure them.
 */
import assert from 'node:assert/strict';
import type { Aether } from '../src/infrastructure/aether.js';
import { encodeEmailCursor } from '../src/application/keyset-cursor.js';
import type { EmailCount } from '../src/application/read-models.js';
import { User } from '../src/domain/user.js';
import type { MessageInput } from '../src/domain/message.js';
import { VOLUME_DEFAULTS } from '../src/seeders/VolumeSeeder.js';
import { volumeMailboxAddress, volumeUserEmail } from '../src/seeders/support/volume-layout.js';
import * as sql from './baseline.js';
import type { PrismaClient } from './prisma/client.js';
import * as prismaSide from './prisma/operations.js';
import type { AnySide, BenchDatabase, Query, Sizes, StatementCounter, Target } from './types.js';

/** A workload's sides bound to one database, with the state their checks keep about it. */
export interface BoundWorkload {
  description: string;
  /** Ours through `a`: the database's own instance, or one on the same database that logs its statements. */
  ours: (a: Aether) => AnySide;
  baseline: AnySide;
  /** The same work through Prisma 7 on the same database. */
  prisma: (p: PrismaClient) => AnySide;
  /** A faster-than-baseline reference (COPY for bulk delivery), if any. */
  floor?: AnySide & { label: string };
}

export interface Workload {
  name: string;
  unit?: string;
  runs: [warm: number, measured: number];
  target: Target;
  notes?: string[];
  /** Reads what the checks need from `db` and binds the sides to it. */
  on: (db: BenchDatabase) => Promise<BoundWorkload>;
  /** Extra checks on our statement counts, through the statement-logging instance. */
  countCheck?: (counted: Aether, count: StatementCounter) => Promise<string>;
}

/** Every workload, each a function of the database it runs on. */
export function defineWorkloads(sizes: Sizes): Workload[] {
  const size = sizes.fixture;
  const bodyBytes = VOLUME_DEFAULTS.bodyBytes;

  // ---- inbox page: first page and a deep page, by keyset --------------------------------------------
  const pageSize = 50;
  const depth = Math.min(25_000, Math.floor(size.hot / 2));
  const inboxPage = (deep: boolean): Workload => ({
    name: deep ? 'inbox page (deep)' : 'inbox page (first)',
    runs: sizes.page,
    target: { maxRatio: 1.2, statistic: 'median', label: '≤ 1.2×' },
    on: async ({ q, pool }) => {
      const [hot] = await q<{ id: string; inbox: string; owner: string }>(
        `select a.id, f.id as inbox, d.owner_id as owner from address a join folder f on f.mailbox_id = a.id and f.role = 'inbox'
         join domain d on d.id = a.domain_id where a.address = $1`,
        [volumeMailboxAddress(0, size)],
      );
      assert.ok(hot, 'the hot mailbox exists');
      const reference = async (offset: number) =>
        (
          await q<{ id: string; received_at: Date }>(
            `select id, received_at from email where mailbox_id = $1 and folder_id = $2
             order by received_at desc, id desc offset $3 limit $4`,
            [hot.id, hot.inbox, offset, pageSize + 1],
          )
        ).map((r) => ({ id: r.id, receivedAt: r.received_at }));
      const expected = (await reference(deep ? depth : 0)).slice(0, pageSize).map((r) => r.id);
      assert.equal(expected.length, pageSize);
      const cursorRow = deep ? (await reference(depth - 1))[0]! : undefined; // the last row of the page before
      const cursor = cursorRow && encodeEmailCursor(cursorRow);
      const ids = (items: { id: string }[]) => items.map((e) => e.id);
      return {
        description: `newest ${pageSize} of the hot mailbox (${size.hot} emails)${deep ? `, after ${depth} (keyset cursor)` : ''}`,
        ours: (a) => ({
          run: () =>
            a.mail.listFolderPage(hot.owner, {
              mailboxId: hot.id,
              folderId: hot.inbox,
              limit: pageSize,
              ...(cursor ? { cursor } : {}),
            }),
          verify: (page) => {
            assert.deepEqual(ids(page.items), expected);
            assert.ok(page.nextCursor);
          },
        }),
        baseline: {
          run: () => sql.listFolderPage(pool, hot.owner, hot.id, hot.inbox, pageSize, cursorRow),
          verify: (page) => {
            assert.deepEqual(ids(page.items), expected);
            assert.ok(page.next);
          },
        },
        prisma: (p) => ({
          run: () => prismaSide.listFolderPage(p, hot.owner, hot.id, hot.inbox, pageSize, cursorRow),
          verify: (page) => {
            assert.deepEqual(ids(page.items), expected);
            assert.ok(page.next);
          },
        }),
      };
    },
  });

  // ---- owners by domain suffix --------------------------------------------------------------------------
  const suffix = '7.example';
  const ownerShape = (users: { id: string; domains?: { id: string; mailboxes?: { id: string }[] }[] }[]) => ({
    users: users.map((u) => u.id).sort(),
    domains: users.flatMap((u) => (u.domains ?? []).map((d) => d.id)).sort(),
    mailboxes: users.flatMap((u) => (u.domains ?? []).flatMap((d) => (d.mailboxes ?? []).map((m) => m.id))).sort(),
  });
  const owners: Workload = {
    name: 'owners by domain suffix',
    runs: sizes.owners,
    target: { maxRatio: 1.3, statistic: 'median', label: '≤ 1.3×' },
    on: async ({ pool }) => {
      const ownersExpected = ownerShape(await sql.findOwnersByDomainSuffix(pool, `%${suffix}`));
      assert.ok(ownersExpected.users.length > 0 && ownersExpected.mailboxes.length > 0);
      return {
        description: `users owning a domain ending in "${suffix}" (${ownersExpected.users.length} users, ${ownersExpected.domains.length} domains, ${ownersExpected.mailboxes.length} mailboxes)`,
        ours: (a) => ({
          run: () => a.users.findOwnersByDomainSuffix(suffix),
          verify: (users) => {
            assert.deepEqual(ownerShape(users), ownersExpected);
            assert.deepEqual(
              users.map((u: { email: string }) => u.email),
              [...users.map((u: { email: string }) => u.email)].sort(),
            );
          },
        }),
        baseline: {
          run: () => sql.findOwnersByDomainSuffix(pool, `%${suffix}`),
          verify: (users) => assert.deepEqual(ownerShape(users), ownersExpected),
        },
        prisma: (p) => ({
          run: () => prismaSide.findOwnersByDomainSuffix(p, suffix),
          verify: (users) => {
            const shaped = users.map((u: { id: string; domains: { id: string; addresses: { id: string }[] }[] }) => ({
              id: u.id,
              domains: u.domains.map((d) => ({ id: d.id, mailboxes: d.addresses })),
            }));
            assert.deepEqual(ownerShape(shaped), ownersExpected);
          },
        }),
      };
    },
    countCheck: async (counted, count) => {
      // the statement count must not depend on how many users match
      const counts: Record<string, number> = {};
      for (const s of ['17.example', suffix, '.example']) {
        let users: unknown[] = [];
        const n = await count(async () => {
          users = await counted.users.findOwnersByDomainSuffix(s);
        });
        counts[`${s} (${users.length} users)`] = n;
      }
      const distinct = new Set(Object.values(counts));
      assert.equal(distinct.size, 1, `statement counts differ by the number of users: ${JSON.stringify(counts)}`);
      return `statements independent of the number of users: ${Object.entries(counts)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')}`;
    },
  };

  // ---- email counts per user ----------------------------------------------------------------------------
  const countsPerUser: Workload = {
    name: 'counts per user',
    runs: sizes.counts,
    target: { maxRatio: 1.2, statistic: 'median', label: '≤ 1.2×, one query' },
    on: async ({ q, pool }) => {
      const [{ total }] = (await q<{ total: number }>('select count(*)::int as total from email')) as [
        { total: number },
      ];
      const [{ owners }] = (await q<{ owners: number }>(
        'select count(distinct user_id)::int as owners from email',
      )) as [{ owners: number }];
      // ours and the baseline read the folders' counters: each user's count must equal its email rows
      const perUser = new Map(
        (await q<{ user_id: string; n: number }>('select user_id, count(*)::int as n from email group by user_id')).map(
          (r) => [r.user_id, r.n],
        ),
      );
      const checkCounts = (rows: { emails: number; id?: string }[]) => {
        assert.equal(rows.length, owners);
        for (const r of rows) if (r.id !== undefined) assert.equal(r.emails, perUser.get(r.id), `count of ${r.id}`);
        assert.equal(
          rows.reduce((n, r) => n + r.emails, 0),
          total,
        );
      };
      return {
        description: `email count per user over all ${total} emails`,
        ours: (a) => ({
          run: () => a.statistics.emailCountsPerUser(),
          verify: (rows) => checkCounts((rows as EmailCount[]).map((r) => ({ id: r.userId, emails: r.emails }))),
        }),
        baseline: {
          run: () => sql.emailCountsPerUser(pool),
          verify: (rows) =>
            checkCounts(
              (rows as { user_id: string; emails: number }[]).map((r) => ({ id: r.user_id, emails: r.emails })),
            ),
        },
        prisma: (p) => ({
          run: () => prismaSide.emailCountsPerUser(p),
          verify: (rows) =>
            checkCounts(
              rows.map((r: { id: string; _count: { emails: number } }) => ({ id: r.id, emails: r._count.emails })),
            ),
        }),
      };
    },
    countCheck: async (counted, count) => {
      const n = await count(() => counted.statistics.emailCountsPerUser());
      assert.equal(n, 1, 'counts per user is one query');
      return 'one query';
    },
  };

  // ---- load, change, save --------------------------------------------------------------------------------
  const renameTarget = (i: number) => ({ email: volumeUserEmail(i % size.users), name: `Bench ${i}` });
  const loadChangeSave: Workload = {
    name: 'load-change-save',
    runs: sizes.lcs,
    target: { maxRatio: 1.5, statistic: 'median', label: '≤ 1.5×' },
    on: async ({ q, pool }) => {
      const checkName = async (i: number) => {
        const { email, name } = renameTarget(i);
        const [row] = await q<{ name: string }>('select name from "user" where email = $1', [email]);
        assert.equal(row?.name, name);
      };
      return {
        description: 'load a user by address, rename, flush (optimistic version check), one unit of work',
        ours: (a) => ({
          run: (i) =>
            a.unitOfWork(async (em) => {
              const { email, name } = renameTarget(i);
              const user = await em.findOneOrFail(User, { email });
              user.rename(name);
            }),
          verify: (_r, i) => checkName(i),
        }),
        baseline: {
          run: (i) => sql.renameUser(pool, renameTarget(i).email, renameTarget(i).name),
          verify: (_r, i) => checkName(i),
        },
        prisma: (p) => ({
          run: (i) => prismaSide.renameUser(p, renameTarget(i).email, renameTarget(i).name),
          verify: (_r, i) => checkName(i),
        }),
      };
    },
  };

  // ---- single delivery ------------------------------------------------------------------------------------
  const body = 'x'.repeat(bodyBytes - 40) + '\n'.padStart(40, 'y');
  const recipientOf = (i: number) => volumeMailboxAddress(2 + (i % (size.mailboxes - 2)), size);
  const inbound = (i: number): MessageInput => ({
    from: `sender${i % 97}@inbound.example`,
    to: [recipientOf(i)],
    subject: `Single delivery ${i}`,
    body,
    messageId: `<single-${i}@inbound.example>`,
  });
  /** Every side keeps the INBOX's counts: equal to an aggregate over its email rows after each delivery. */
  const inboxCountsExact = async (q: Query, mailboxId: string) => {
    const [row] = await q<{ counted: string; rows: string }>(
      `select f.message_count || '/' || f.unseen_count || '/' || f.size_bytes as counted,
              (select count(*) || '/' || count(*) filter (where not e.seen) || '/' || coalesce(sum(e.size_bytes), 0)
                 from email e where e.mailbox_id = f.mailbox_id and e.folder_id = f.id) as rows
         from folder f where f.mailbox_id = $1 and f.role = 'inbox'`,
      [mailboxId],
    );
    assert.equal(row?.counted, row?.rows, 'the INBOX counts equal its email');
  };
  const mailboxIdsOf = async (q: Query) => {
    const rows = await q<{ id: string; address: string }>(`select id, address from address where kind = 'mailbox'`);
    const ids = new Map(rows.map((r) => [r.address, r.id]));
    assert.equal(ids.size, size.mailboxes);
    return ids;
  };
  const singleDelivery: Workload = {
    name: 'single delivery',
    runs: sizes.single,
    target: { maxRatio: 1.5, statistic: 'median', label: 'p50 ≤ 1.5×' },
    on: async ({ q, pool }) => {
      const mailboxIds = await mailboxIdsOf(q);
      const emailExists = async (mailboxId: string, emailId: string, i: number) => {
        assert.equal(mailboxId, mailboxIds.get(recipientOf(i)));
        const rows = await q('select 1 from email where mailbox_id = $1 and id = $2', [mailboxId, emailId]);
        assert.equal(rows.length, 1);
        await inboxCountsExact(q, mailboxId);
      };
      return {
        description: 'one inbound message per unit of work: resolve, domain verified, quota, insert, used bytes',
        ours: (a) => ({
          run: (i) => a.mail.deliverInbound({ recipients: [recipientOf(i)], message: inbound(i) }),
          verify: async (report, i) => {
            assert.equal(report.delivered.length, 1);
            await emailExists(report.delivered[0]!.mailboxId, report.delivered[0]!.emailId, i);
          },
        }),
        baseline: {
          run: (i) => sql.deliverInbound(pool, recipientOf(i), inbound(i)),
          verify: (r, i) => emailExists(r.mailboxId, r.emailId, i),
        },
        prisma: (p) => ({
          run: (i) => prismaSide.deliverInbound(p, recipientOf(i), inbound(i)),
          verify: (r, i) => emailExists(r.mailboxId, r.emailId, i),
        }),
      };
    },
  };

  // ---- bulk delivery -------------------------------------------------------------------------------------
  const bulkAddress = volumeMailboxAddress(1, size);
  const bulkMessages = (i: number): MessageInput[] =>
    Array.from({ length: sizes.bulk }, (_, k) => ({
      from: `sender${k % 53}@bulk.example`,
      to: [bulkAddress],
      subject: `Bulk ${i}/${k}`,
      body,
      messageId: `<bulk-${i}-${k}@bulk.example>`,
    }));
  const bulkDelivery: Workload = {
    name: 'bulk delivery',
    unit: 'ms per batch',
    runs: sizes.bulkRuns,
    target: { maxRatio: 1.5, statistic: 'median', label: '≤ 1.5× multi-row INSERT' },
    notes: [`baseline: multi-row INSERT of ${sql.INSERT_CHUNK} rows per statement; floor: COPY FROM STDIN`],
    on: async ({ q, pool }) => {
      const bulkMailbox = (await mailboxIdsOf(q)).get(bulkAddress)!;
      const [{ n: initialCount }] = (await q<{ n: number }>(
        'select count(*)::int as n from email where mailbox_id = $1',
        [bulkMailbox],
      )) as [{ n: number }];
      let expectedCount = initialCount;
      const verifyBulk = async (r: { mailboxId: string; emailIds: string[] }) => {
        expectedCount += sizes.bulk;
        assert.equal(r.mailboxId, bulkMailbox);
        assert.equal(new Set(r.emailIds).size, sizes.bulk);
        // quota kept exact: used bytes are the sum of the stored email
        const [row] = await q<{ used: string; sum: string; n: number; mine: number }>(
          `select a.used_bytes as used, (select coalesce(sum(size_bytes), 0) from email where mailbox_id = a.mailbox_id) as sum,
             (select count(*)::int from email where mailbox_id = a.mailbox_id) as n,
             (select count(*)::int from email where mailbox_id = a.mailbox_id and id = any($2::uuid[])) as mine
           from mailbox_usage a where a.mailbox_id = $1`,
          [bulkMailbox, r.emailIds],
        );
        assert.equal(row?.used, row?.sum);
        assert.equal(row?.n, expectedCount);
        assert.equal(row?.mine, sizes.bulk);
        await inboxCountsExact(q, bulkMailbox);
      };
      return {
        description: `${sizes.bulk} emails into one mailbox, one unit of work, quota kept exact`,
        ours: (a) => ({
          // each side builds its batch inside the timed part, alike (a few ms of several seconds)
          run: (i) => a.mail.deliverMany(bulkAddress, bulkMessages(i)),
          verify: verifyBulk,
        }),
        baseline: { run: (i) => sql.deliverMany(pool, bulkAddress, bulkMessages(i), 'insert'), verify: verifyBulk },
        prisma: (p) => ({ run: (i) => prismaSide.deliverMany(p, bulkAddress, bulkMessages(i)), verify: verifyBulk }),
        floor: {
          label: 'COPY',
          run: (i) => sql.deliverMany(pool, bulkAddress, bulkMessages(i), 'copy'),
          verify: verifyBulk,
        },
      };
    },
  };

  return [inboxPage(false), inboxPage(true), owners, countsPerUser, loadChangeSave, singleDelivery, bulkDelivery];
}
