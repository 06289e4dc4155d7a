/**
 * The benchmark's Prisma side (bench/prisma/): its client generates offline from the schema alone,
 * and its hand-written schema and operations agree with our migrated database and our services:
 * what Prisma delivers is what the application lists, with the same counters, journal and quota,
 * and what it refuses leaves every row as it was.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPrisma, type PrismaDatabase } from '../../bench/prisma/client.js';
import { ensurePrismaClient, runPrismaGenerate } from '../../bench/prisma/generate.js';
import * as prismaSide from '../../bench/prisma/operations.js';
import * as sqlSide from '../../bench/baseline.js';
import { plainPool } from '../../src/infrastructure/database/admin-client.js';
import { digestRows } from '../support/digest.js';
import { folderCountDrift } from '../support/folder-counts.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const prismaFolder = fileURLToPath(new URL('../../bench/prisma/', import.meta.url));
const scratchRoot = fileURLToPath(new URL('../../test-results/', import.meta.url));

describe("the Prisma side's client", () => {
  it('generates offline from the schema and its config alone, as on a clean clone', async () => {
    mkdirSync(scratchRoot, { recursive: true });
    const scratch = mkdtempSync(join(scratchRoot, 'prisma-generate-'));
    try {
      for (const file of ['schema.prisma', 'prisma.config.ts']) cpSync(join(prismaFolder, file), join(scratch, file));
      await runPrismaGenerate(join(scratch, 'prisma.config.ts'), scratch);
      const client = join(scratch, 'generated', 'client.ts');
      expect(existsSync(client)).toBe(true);
      expect(readFileSync(client, 'utf8')).toContain('export const PrismaClient');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  it("is generated once: a second call finds the bench's client current", async () => {
    await ensurePrismaClient();
    expect(await ensurePrismaClient()).toBe(false);
  }, 120_000);
});

describe('the Prisma side on our schema', () => {
  const db = useTestDatabase();
  let prisma: PrismaDatabase;
  beforeAll(async () => {
    prisma = await openPrisma(db.settings);
  }, 120_000);
  afterAll(() => prisma?.close());

  async function mailboxWithInbox(quotaBytes?: number) {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, {
      address: `box@${domain.name}`,
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
    });
    const [inbox] = await db.sql<{ id: string }>(`select id from folder where mailbox_id = $1 and role = 'inbox'`, [
      mailbox.id,
    ]);
    return { owner, mailbox, inbox: inbox!.id };
  }

  it('delivers what the application then lists, with UIDs, modseqs, journal and used bytes kept as ours keeps them', async () => {
    const { owner, mailbox, inbox } = await mailboxWithInbox();
    // a mailbox the journal has not seen yet (as the volume seeder leaves them): Prisma creates its state
    await db.sql('delete from mailbox_state where mailbox_id = $1', [mailbox.id]);
    const first = await prismaSide.deliverInbound(prisma.prisma, mailbox.address, message({ subject: 'one' }));
    const second = await prismaSide.deliverInbound(prisma.prisma, mailbox.address, message({ subject: 'two' }));
    const ours = await db.aether.mail.deliverInbound({ recipients: [mailbox.address], message: message() });
    expect([first.mailboxId, second.mailboxId]).toEqual([mailbox.id, mailbox.id]);

    const rows = await db.sql<{ id: string; uid: string; modseq: string; size_bytes: number }>(
      'select id, uid, modseq, size_bytes from email where mailbox_id = $1 order by uid',
      [mailbox.id],
    );
    expect(rows.map((r) => [r.id, Number(r.uid), Number(r.modseq)])).toEqual([
      [first.emailId, 1, 1],
      [second.emailId, 2, 2],
      [ours.delivered[0]!.emailId, 3, 3],
    ]);
    const journal = await db.sql<{ email_id: string; uid: string; modseq: string }>(
      `select email_id, uid, modseq from mail_change where mailbox_id = $1 and kind = 'added' order by modseq`,
      [mailbox.id],
    );
    expect(journal.map((j) => [j.email_id, Number(j.uid), Number(j.modseq)])).toEqual(
      rows.map((r) => [r.id, Number(r.uid), Number(r.modseq)]),
    );
    const [counters] = await db.sql<{ used: string; sum: string; modseq: string; uid_next: string }>(
      `select mu.used_bytes as used, (select sum(size_bytes) from email where mailbox_id = a.id) as sum,
         s.highest_modseq as modseq, f.uid_next
       from address a join mailbox_usage mu on mu.mailbox_id = a.id join mailbox_state s on s.mailbox_id = a.id join folder f on f.id = $2 where a.id = $1`,
      [mailbox.id, inbox],
    );
    expect(counters).toEqual({ used: counters!.sum, sum: counters!.sum, modseq: '3', uid_next: '4' });
    // the folder's counts too, raised by Prisma's UID update as ours raises them
    expect(await folderCountDrift(db, mailbox.id)).toEqual([]);
    const [inboxCounts] = await db.sql(`select message_count::int, unseen_count::int from folder where id = $1`, [
      inbox,
    ]);
    expect(inboxCounts).toEqual({ message_count: 3, unseen_count: 3 });

    const page = await db.aether.mail.listFolderPage(owner.id, { mailboxId: mailbox.id, folderId: inbox, limit: 10 });
    expect(page.items.map((e) => e.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const prismaPage = await prismaSide.listFolderPage(prisma.prisma, owner.id, mailbox.id, inbox, 2);
    expect(prismaPage.items.map((e) => e.id)).toEqual(page.items.slice(0, 2).map((e) => e.id));
    const rest = await prismaSide.listFolderPage(prisma.prisma, owner.id, mailbox.id, inbox, 2, prismaPage.next!);
    expect(rest.items.map((e) => e.id)).toEqual(page.items.slice(2).map((e) => e.id));
    expect(rest.next).toBeNull();

    // the baseline's page is ours too; and all three make the same check: a suspended actor reads nothing
    const pool = plainPool(db.settings.direct, 1);
    try {
      const basePage = await sqlSide.listFolderPage(pool, owner.id, mailbox.id, inbox, 10);
      expect(basePage.items.map((e) => e.id)).toEqual(page.items.map((e) => e.id));
      await db.aether.users.suspend(owner.id);
      await expect(
        db.aether.mail.listFolderPage(owner.id, { mailboxId: mailbox.id, folderId: inbox, limit: 10 }),
      ).rejects.toMatchObject({ code: 'USER_SUSPENDED' });
      expect((await sqlSide.listFolderPage(pool, owner.id, mailbox.id, inbox, 10)).items).toEqual([]);
      expect((await prismaSide.listFolderPage(prisma.prisma, owner.id, mailbox.id, inbox, 10)).items).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('threads a delivery and writes its outbox event on every side as ours does (baseline and Prisma alike)', async () => {
    const { mailbox, inbox } = await mailboxWithInbox();
    const pool = plainPool(db.settings.direct, 2);
    try {
      const ours = await db.aether.mail.deliverInbound({
        recipients: [mailbox.address],
        message: { ...message({ subject: 'Plans' }), messageId: '<plans@outside.test>' },
      });
      // replies by subject join the thread of the latest email with it; another subject starts a new one
      const base = await sqlSide.deliverInbound(pool, mailbox.address, message({ subject: 'Re: Plans' }));
      const viaPrisma = await prismaSide.deliverInbound(
        prisma.prisma,
        mailbox.address,
        message({ subject: 'Re: Plans' }),
      );
      const other = await sqlSide.deliverInbound(pool, mailbox.address, message({ subject: 'Other' }));
      const oursReply = await db.aether.mail.deliverInbound({
        recipients: [mailbox.address],
        message: message({ subject: 'Re: Plans' }),
      });
      const ids = [
        ours.delivered[0]!.emailId,
        base.emailId,
        viaPrisma.emailId,
        other.emailId,
        oursReply.delivered[0]!.emailId,
      ];
      const rows = await db.sql<{ id: string; thread_id: string; thread_keys: string[]; uid: string; modseq: string }>(
        'select id, thread_id, thread_keys, uid, modseq from email where mailbox_id = $1 order by uid',
        [mailbox.id],
      );
      expect(rows.map((r) => r.id)).toEqual(ids);
      const thread = rows[0]!.thread_id;
      expect(rows.map((r) => r.thread_id === thread)).toEqual([true, true, true, false, true]);
      // the same keys as ours stores: the message's own id and its subject key
      const subjectKeys = rows.map((r) => r.thread_keys.slice(1));
      expect(subjectKeys[1]).toEqual(subjectKeys[4]);
      expect(subjectKeys[2]).toEqual(subjectKeys[4]);
      expect(rows.map((r) => r.thread_keys.length)).toEqual([2, 2, 2, 2, 2]);

      const events = await db.sql<{ kind: string; position: string; modseq: string; data: Record<string, unknown> }>(
        `select kind, position, modseq, data from outbox_event where ordering_key = $1 and kind = 'email.delivered'
         order by position`,
        [mailbox.id],
      );
      expect(events.map((e) => e.data)).toEqual(
        rows.map((r) => ({ address: mailbox.address, emailId: r.id, folderId: inbox, uid: Number(r.uid) })),
      );
      expect(events.map((e) => e.modseq)).toEqual(rows.map((r) => r.modseq));
      // positions consecutive after the mailbox's earlier events, and the key's counter at the last of them
      const positions = events.map((e) => Number(e.position));
      expect(positions).toEqual(positions.map((_, i) => positions[0]! + i));
      const [key] = await db.sql<{ last_position: string }>(
        'select last_position from outbox_key where ordering_key = $1',
        [mailbox.id],
      );
      expect(Number(key!.last_position)).toBe(positions.at(-1));
    } finally {
      await pool.end();
    }
  });

  it('refuses a delivery over quota, and a bulk one to a suspended mailbox, leaving every row as it was', async () => {
    const { owner, mailbox } = await mailboxWithInbox(1_000);
    const before = await digestRows(db);
    await expect(
      prismaSide.deliverInbound(prisma.prisma, mailbox.address, message({ body: 'x'.repeat(2_000) })),
    ).rejects.toThrow('quota exceeded');
    expect(await digestRows(db)).toEqual(before);

    await db.aether.mailboxes.suspend(owner.id, mailbox.id);
    const suspended = await digestRows(db);
    await expect(prismaSide.deliverMany(prisma.prisma, mailbox.address, [message(), message()])).rejects.toThrow(
      'mailbox suspended',
    );
    expect(await digestRows(db)).toEqual(suspended);
  });

  it('loads, renames and saves a user with the version check, and reads owners and counts as the application does', async () => {
    const { owner, mailbox } = await mailboxWithInbox();
    const [{ version }] = (await db.sql<{ version: number }>('select version from "user" where id = $1', [
      owner.id,
    ])) as [{ version: number }];
    await prismaSide.renameUser(prisma.prisma, owner.email, 'Renamed by Prisma');
    const [user] = await db.sql<{ name: string; version: number }>('select name, version from "user" where id = $1', [
      owner.id,
    ]);
    expect(user).toEqual({ name: 'Renamed by Prisma', version: version + 1 });

    const suffix = mailbox.address.slice(mailbox.address.indexOf('@') + 1);
    const owners = await prismaSide.findOwnersByDomainSuffix(prisma.prisma, suffix);
    const ours = await db.aether.users.findOwnersByDomainSuffix(suffix);
    expect(owners.map((u) => [u.id, u.domains.map((d) => [d.id, d.addresses.map((a) => a.id)])])).toEqual(
      ours.map((u) => [u.id, (u.domains ?? []).map((d) => [d.id, (d.mailboxes ?? []).map((m) => m.id)])]),
    );

    await db.aether.mail.deliverInbound({ recipients: [mailbox.address], message: message() });
    const counts = await prismaSide.emailCountsPerUser(prisma.prisma);
    const oursCounts = await db.aether.statistics.emailCountsPerUser();
    expect(counts.map((c) => [c.id, c._count.emails])).toEqual(oursCounts.map((c) => [c.userId, c.emails]));
  });
});
