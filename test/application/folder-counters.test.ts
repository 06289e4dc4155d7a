/**
 * The folder counts (message_count, unseen_count, size_bytes) are kept by the application in the
 * unit of work that writes email (application/mail-counters.ts), not by triggers: every writer is
 * exercised here, and afterwards every folder's counts must equal count(*), count(*) filter (where
 * not seen) and sum(size_bytes) over its email rows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { folderCountDrift } from '../support/folder-counts.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 24 });

let n = 0;
const rawMessage = (to: string, subject = `raw ${n++}`) =>
  Buffer.from(
    [
      'From: Sender <sender@outside.test>',
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <${subject.replaceAll(' ', '.')}.${process.pid}.${n}@outside.test>`,
      'Date: Fri, 04 Dec 2026 12:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `A body of some length ${'x'.repeat(n % 50)}`,
      '',
    ].join('\r\n'),
  );

async function world() {
  const { owner, domain } = await ownerWithDomain(db);
  const a = await db.aether.mailboxes.create(owner.id, { address: `a${n++}@${domain.name}` });
  const b = await db.aether.mailboxes.create(owner.id, { address: `b${n++}@${domain.name}` });
  const folders = async (mailboxId: string) => {
    const list = (await db.aether.folders.list({ mailboxId })).folders;
    return Object.fromEntries(list.map((f) => [f.role ?? f.path, f.id])) as Record<string, string>;
  };
  return { owner, a, b, aFolders: await folders(a.id), bFolders: await folders(b.id) };
}

/** The emails of a mailbox (id, folder, uid), in a stable order. */
const emailsOf = (mailboxId: string) =>
  db.sql<{ id: string; folder_id: string; uid: number }>(
    `select id, folder_id, uid::int from email where mailbox_id = $1 order by id`,
    [mailboxId],
  );

/** Domain refusals a random operation may meet (an email gone meanwhile, a UID set that is empty). */
const EXPECTED_REFUSALS = new Set(['NOT_FOUND', 'INVALID_UID_SET']);

const settle = async (work: Promise<unknown>) => {
  try {
    await work;
    return 'ok';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && EXPECTED_REFUSALS.has(code)) return code;
    throw error;
  }
};

describe('folder counts kept by the application', () => {
  it('equal an aggregate over the email rows after any random sequence of every kind of write (property)', async () => {
    const { owner, a, b, aFolders, bFolders } = await world();
    const roles = ['inbox', 'archive', 'trash', 'sent', 'drafts'] as const;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('deliver' as const), both: fc.boolean() }),
      fc.record({ kind: fc.constant('deliverEach' as const) }),
      fc.record({ kind: fc.constant('deliverMany' as const), count: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('send' as const) }),
      fc.record({ kind: fc.constant('append' as const), folder: fc.constantFrom(...roles), seen: fc.boolean() }),
      fc.record({ kind: fc.constant('read' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('flag' as const), pick: fc.nat(), seen: fc.boolean(), flagged: fc.boolean() }),
      fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), to: fc.constantFrom(...roles) }),
      fc.record({ kind: fc.constant('trash' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('purge' as const), pick: fc.nat() }),
      fc.record({
        kind: fc.constantFrom('storeFlags' as const),
        folder: fc.constantFrom(...roles),
        mode: fc.constantFrom('add' as const, 'remove' as const, 'replace' as const),
        flags: fc.subarray(['\\Seen', '\\Deleted', '\\Flagged']),
      }),
      fc.record({
        kind: fc.constantFrom('copy' as const, 'storeMove' as const),
        folder: fc.constantFrom(...roles),
        to: fc.constantFrom(...roles),
        from: fc.integer({ min: 1, max: 6 }),
      }),
      fc.record({ kind: fc.constant('expunge' as const), folder: fc.constantFrom(...roles) }),
    );
    const pick = async (index: number) => {
      const emails = await emailsOf(a.id);
      return emails.length === 0 ? undefined : emails[index % emails.length];
    };
    const run = async (
      o:
        | { kind: 'deliver'; both: boolean }
        | { kind: 'deliverEach' }
        | { kind: 'deliverMany'; count: number }
        | { kind: 'send' }
        | { kind: 'append'; folder: (typeof roles)[number]; seen: boolean }
        | { kind: 'read' | 'trash' | 'purge'; pick: number }
        | { kind: 'flag'; pick: number; seen: boolean; flagged: boolean }
        | { kind: 'move'; pick: number; to: (typeof roles)[number] }
        | {
            kind: 'storeFlags';
            folder: (typeof roles)[number];
            mode: 'add' | 'remove' | 'replace';
            flags: string[];
          }
        | { kind: 'copy' | 'storeMove'; folder: (typeof roles)[number]; to: (typeof roles)[number]; from: number }
        | { kind: 'expunge'; folder: (typeof roles)[number] },
    ): Promise<unknown> => {
      switch (o.kind) {
        case 'deliver':
          return db.aether.mail.deliverInbound({
            recipients: o.both ? [a.address, b.address] : [a.address],
            message: message({ subject: `d${n++}`, body: 'b'.repeat(n % 40) }),
          });
        case 'deliverEach':
          return db.aether.mail.deliverEach({ recipients: [a.address, b.address], raw: rawMessage(a.address) });
        case 'deliverMany':
          return db.aether.mail.deliverMany(
            a.address,
            Array.from({ length: o.count }, (_, i) => message({ subject: `m${n++}.${i}` })),
          );
        case 'send':
          // the sent copy in a's Sent folder, and a delivered copy in b's INBOX
          return db.aether.mail.send(owner.id, a.id, { to: [b.address], subject: `s${n++}`, body: 'sent' });
        case 'append':
          return db.aether.store.append({
            mailboxId: a.id,
            folderId: aFolders[o.folder]!,
            raw: rawMessage(a.address),
            flags: o.seen ? ['\\Seen'] : [],
          });
        case 'storeFlags':
          return db.aether.store.storeFlags({
            mailboxId: a.id,
            folderId: aFolders[o.folder]!,
            uids: '1:*',
            mode: o.mode,
            flags: o.flags,
          });
        case 'copy':
        case 'storeMove':
          return db.aether.store[o.kind === 'copy' ? 'copy' : 'move']({
            mailboxId: a.id,
            folderId: aFolders[o.folder]!,
            uids: `${o.from}:*`,
            targetFolderId: aFolders[o.to]!,
          });
        case 'expunge':
          return db.aether.store.expunge({ mailboxId: a.id, folderId: aFolders[o.folder]! });
      }
      const email = await pick(o.pick);
      if (!email) return undefined;
      switch (o.kind) {
        case 'read':
          return db.aether.mail.read(owner.id, a.id, email.id);
        case 'flag':
          return db.aether.mail.flag(owner.id, a.id, email.id, { seen: o.seen, flagged: o.flagged });
        case 'move':
          return db.aether.mail.move(owner.id, a.id, email.id, aFolders[o.to]!);
        case 'trash':
          return db.aether.mail.trash(owner.id, a.id, email.id);
        case 'purge':
          return db.aether.mail.purge(owner.id, a.id, email.id);
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (sequence) => {
        for (const o of sequence) await settle(run(o));
        expect(await folderCountDrift(db, a.id)).toEqual([]);
        expect(await folderCountDrift(db, b.id)).toEqual([]);
      }),
      { numRuns: 15 },
    );
    // the sequences did reach the counters: a's and b's folders hold mail, and the sums agree
    const [totals] = await db.sql<{ counted: number; rows: number }>(
      `select (select sum(message_count)::int from folder where mailbox_id in ($1, $2)) as counted,
              (select count(*)::int from email where mailbox_id in ($1, $2)) as rows`,
      [a.id, b.id],
    );
    expect(totals!.counted).toBe(totals!.rows);
    expect(totals!.rows).toBeGreaterThan(0);
    expect(bFolders.inbox).toBeDefined();
  });

  it('stay exact after a concurrent burst of deliveries, flag changes and moves on one mailbox', async () => {
    const { owner, a, aFolders } = await world();
    for (let i = 0; i < 12; i++) await db.aether.mail.deliverInbound({ recipients: [a.address], message: message() });
    const before = await emailsOf(a.id);
    const targets = [aFolders.inbox!, aFolders.archive!, aFolders.trash!];
    // several connections at once (the pool's): each operation is its own unit of work
    const work = Array.from({ length: 48 }, (_, i) => {
      const email = before[i % before.length]!;
      switch (i % 6) {
        case 0:
          return db.aether.mail.deliverEach({ recipients: [a.address], raw: rawMessage(a.address) });
        case 1:
          return db.aether.mail.flag(owner.id, a.id, email.id, { seen: i % 4 === 1 });
        case 2:
          return db.aether.mail.move(owner.id, a.id, email.id, targets[i % 3]!);
        case 3:
          return db.aether.store.storeFlags({
            mailboxId: a.id,
            folderId: targets[i % 3]!,
            uids: '1:*',
            mode: 'add',
            flags: ['\\Seen'],
          });
        case 4:
          return db.aether.store.move({
            mailboxId: a.id,
            folderId: targets[i % 3]!,
            uids: '1:*',
            targetFolderId: targets[(i + 1) % 3]!,
          });
        default:
          return db.aether.mail.deliverInbound({
            recipients: [a.address],
            message: message({ subject: `burst ${i}` }),
          });
      }
    });
    const outcomes = await Promise.all(work.map(settle));
    // every operation did its work, or found its UID set empty at the time (a whole refusal)
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'INVALID_UID_SET')).toEqual([]);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(30);
    expect(await folderCountDrift(db, a.id)).toEqual([]);
    // nothing lost: 12 before and the 16 deliveries, all counted somewhere
    const [total] = await db.sql<{ n: number }>(
      `select sum(message_count)::int as n from folder where mailbox_id = $1`,
      [a.id],
    );
    expect(total!.n).toBe(12 + 16);
    expect(await emailsOf(a.id)).toHaveLength(28);
  });

  it('writes one counter update per folder and unit of work, however many emails change', async () => {
    const { a, aFolders } = await world();
    db.queries.length = 0;
    await db.aether.mail.deliverMany(
      a.address,
      Array.from({ length: 40 }, (_, i) => message({ subject: `bulk ${i}` })),
    );
    const folderUpdates = () => db.queries.filter((q) => /^update\s+("\w+"\.)?"folder"/i.test(q.trim()));
    // the counts ride on the UID allocation: one statement for the 40 emails
    expect(folderUpdates()).toHaveLength(1);
    expect(folderUpdates()[0]).toMatch(/uid_next = uid_next \+ .*message_count = message_count \+/s);
    db.queries.length = 0;
    await db.aether.store.storeFlags({
      mailboxId: a.id,
      folderId: aFolders.inbox!,
      uids: '1:*',
      mode: 'add',
      flags: ['\\Seen'],
    });
    expect(folderUpdates()).toHaveLength(1);
    db.queries.length = 0;
    await db.aether.store.move({
      mailboxId: a.id,
      folderId: aFolders.inbox!,
      uids: '1:25',
      targetFolderId: aFolders.archive!,
    });
    // the target's with its UIDs, the source's once for the 25 emails
    expect(folderUpdates()).toHaveLength(2);
    db.queries.length = 0;
    await db.aether.store.storeFlags({
      mailboxId: a.id,
      folderId: aFolders.archive!,
      uids: '1:*',
      mode: 'add',
      flags: ['\\Deleted'],
    });
    expect(folderUpdates()).toHaveLength(0);
    await db.aether.store.expunge({ mailboxId: a.id, folderId: aFolders.archive! });
    const { folders } = await db.aether.folders.list({ mailboxId: a.id });
    expect(folders.find((f) => f.id === aFolders.inbox)).toMatchObject({ messageCount: 15, unseenCount: 0 });
    expect(folders.find((f) => f.id === aFolders.archive)).toMatchObject({
      messageCount: 0,
      unseenCount: 0,
      sizeBytes: 0,
    });
    expect(await folderCountDrift(db, a.id)).toEqual([]);
  });

  it('leave nothing behind when a unit of work that raised them is refused', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `q${n++}@${domain.name}`, quotaBytes: 10_000 });
    const { folders } = await db.aether.folders.list({ mailboxId: box.id });
    const [inbox, archive] = ['inbox', 'archive'].map((r) => folders.find((f) => f.role === r)!.id);
    for (let i = 0; i < 2; i++)
      await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ body: 'x'.repeat(3_000) }) });
    // COPY takes the target's UIDs (and raises its counts) for both, then the second copy overruns
    // the quota: the whole unit of work is refused, the raised counts with it
    await expectRefused(db, 'QUOTA_EXCEEDED', () =>
      db.aether.store.copy({ mailboxId: box.id, folderId: inbox!, uids: '1:*', targetFolderId: archive! }),
    );
    expect(await folderCountDrift(db, box.id)).toEqual([]);
    const after = (await db.aether.folders.list({ mailboxId: box.id })).folders;
    expect(after.find((f) => f.id === archive)).toMatchObject({ messageCount: 0, unseenCount: 0, sizeBytes: 0 });
    expect(after.find((f) => f.id === inbox)).toMatchObject({ messageCount: 2, unseenCount: 2 });
  });
});
