import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FolderView } from '../../src/index.js';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 40 });

async function mailbox(name = 'box') {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `${name}@${domain.name}` });
  const { folders } = await db.aether.folders.list({ mailboxId: box.id });
  const role = (r: string) => folders.find((f) => f.role === r)!.id;
  return { owner, box, inbox: role('inbox'), archive: role('archive'), trash: role('trash') };
}

/** Every folder of the mailbox whose counters differ from a count of its email rows (none, always). */
async function countDrift(mailboxId: string) {
  return db.sql(
    `select f.path, f.message_count::int, f.unseen_count::int, f.size_bytes::int,
            count(e.id)::int as rows, (count(e.id) filter (where not e.seen))::int as unseen_rows,
            coalesce(sum(e.size_bytes), 0)::int as size_rows
       from folder f left join email e on e.mailbox_id = f.mailbox_id and e.folder_id = f.id
      where f.mailbox_id = $1
      group by f.mailbox_id, f.id
     having f.message_count <> count(e.id) or f.unseen_count <> count(e.id) filter (where not e.seen)
         or f.size_bytes <> coalesce(sum(e.size_bytes), 0)`,
    [mailboxId],
  );
}

const outcomeOf = (work: Promise<unknown>) =>
  work.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? e,
  );

const deliver = (address: string, subject = 'hello') =>
  db.aether.mail.deliverInbound({ recipients: [address], message: message({ subject }) });

describe('folder counts', () => {
  it('list reads exact counts kept by every delivery, flag change, move, copy, expunge and purge', async () => {
    const { owner, box, inbox, archive, trash } = await mailbox();
    for (let i = 0; i < 6; i++) await deliver(box.address, `m${i}`);
    const byId = async () =>
      new Map((await db.aether.folders.list({ mailboxId: box.id })).folders.map((f) => [f.id, f]));
    let folders = await byId();
    expect(folders.get(inbox)).toMatchObject({ messageCount: 6, unseenCount: 6 });
    const sizes = await db.sql<{ n: number }>(`select sum(size_bytes)::int as n from email where folder_id = $1`, [
      inbox,
    ]);
    expect(folders.get(inbox)!.sizeBytes).toBe(sizes[0]!.n);

    await db.aether.store.storeFlags({
      mailboxId: box.id,
      folderId: inbox,
      uids: '1:2',
      mode: 'add',
      flags: ['\\Seen'],
    });
    await db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '2:3', targetFolderId: archive });
    await db.aether.store.copy({ mailboxId: box.id, folderId: inbox, uids: '1', targetFolderId: trash });
    await db.aether.store.storeFlags({
      mailboxId: box.id,
      folderId: inbox,
      uids: '4',
      mode: 'add',
      flags: ['\\Deleted'],
    });
    await db.aether.store.expunge({ mailboxId: box.id, folderId: inbox });
    const [email] = await db.sql<{ id: string }>(`select id from email where folder_id = $1 and uid = 5`, [inbox]);
    await db.aether.mail.read(owner.id, box.id, email!.id);
    const [last] = await db.sql<{ id: string }>(`select id from email where folder_id = $1 and uid = 6`, [inbox]);
    await db.aether.mail.purge(owner.id, box.id, last!.id);

    folders = await byId();
    // inbox: 1 (seen), 5 (read) left; archive: 2 (seen), 3; trash: a seen copy of 1
    expect(folders.get(inbox)).toMatchObject({ messageCount: 2, unseenCount: 0 });
    expect(folders.get(archive)).toMatchObject({ messageCount: 2, unseenCount: 1 });
    expect(folders.get(trash)).toMatchObject({ messageCount: 1, unseenCount: 0 });
    const status = await db.aether.store.selectFolder({ mailboxId: box.id, folderId: archive });
    expect(status).toMatchObject({ exists: 2, unseen: 1 });
    expect(await countDrift(box.id)).toEqual([]);
  });

  it('are exact after a bulk import (one counter update per statement, not per email)', async () => {
    const { box, inbox } = await mailbox();
    await db.aether.mail.deliverMany(
      box.address,
      Array.from({ length: 700 }, (_, i) => message({ subject: `bulk ${i}` })),
    );
    const { folders } = await db.aether.folders.list({ mailboxId: box.id });
    expect(folders.find((f) => f.id === inbox)).toMatchObject({ messageCount: 700, unseenCount: 700 });
    expect(await countDrift(box.id)).toEqual([]);
  });

  it('are kept by the application, not the database: rows written by plain SQL are repaired by recountFolders', async () => {
    const { box, inbox, archive } = await mailbox();
    await deliver(box.address);
    // no trigger on email (Citus refuses them): a hand-written statement moves no counter …
    await db.sql(`update email set seen = true where mailbox_id = $1 and folder_id = $2`, [box.id, inbox]);
    await db.sql(`update folder set uid_next = 2 where mailbox_id = $1 and id = $2`, [box.id, archive]);
    await db.sql(`update email set folder_id = $3, uid = 1 where mailbox_id = $1 and folder_id = $2`, [
      box.id,
      inbox,
      archive,
    ]);
    expect((await countDrift(box.id)).map((d) => d.path).sort()).toEqual(['Archive', 'INBOX']);
    // … until the operator's repair recounts the mailbox (the two folders that drifted), then nothing
    expect(await db.aether.store.recountFolders({ mailboxId: box.id })).toEqual({ corrected: 2 });
    expect(await countDrift(box.id)).toEqual([]);
    const [row] = await db.sql(`select message_count::int, unseen_count::int from folder where id = $1`, [archive]);
    expect(row).toEqual({ message_count: 1, unseen_count: 0 });
    expect(await db.aether.store.recountFolders()).toEqual({ corrected: 0 });
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.store.recountFolders({ mailboxId: '00000000-0000-7000-8000-000000000000' }),
    );
    await expect(db.sql(`update folder set message_count = -1 where id = $1`, [archive])).rejects.toThrow(
      /folder_counts/,
    );
  });

  it('stay exact when writers queue behind a held folder row and mailbox row (deterministic)', async () => {
    const { box, inbox, archive } = await mailbox();
    for (let i = 0; i < 4; i++) await deliver(box.address, `m${i}`);
    // the test holds INBOX's row: a delivery stops at its UIDNEXT; the others stop at the mailbox row
    const held = await hold(db, [[`select 1 from folder where id = $1 for update`, [inbox]]]);
    const delivery = deliver(box.address, 'late');
    await waitForLockWaiters(db, 1);
    const work = [
      db.aether.store.storeFlags({ mailboxId: box.id, folderId: inbox, uids: '1:*', mode: 'add', flags: ['\\Seen'] }),
      db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '2', targetFolderId: archive }),
      db.aether.store.storeFlags({ mailboxId: box.id, folderId: inbox, uids: '3', mode: 'add', flags: ['\\Deleted'] }),
    ];
    await waitForLockWaiters(db, 1 + work.length);
    await held.commit();
    await Promise.all([delivery, ...work]);
    await db.aether.store.expunge({ mailboxId: box.id, folderId: inbox });
    expect(await countDrift(box.id)).toEqual([]);
    const { folders } = await db.aether.folders.list({ mailboxId: box.id });
    const total = folders.reduce((n, f) => n + f.messageCount, 0);
    expect(total).toBe(4);
  });

  it('stay exact after an unsynchronised burst of deliveries, flag changes, moves, copies and expunges', async () => {
    const { box, inbox, archive, trash } = await mailbox();
    for (let i = 0; i < 10; i++) await deliver(box.address, `m${i}`);
    const folders = [inbox, archive, trash];
    const ops = Array.from({ length: 60 }, (_, i) => {
      const from = folders[i % 3]!;
      const to = folders[(i + 1) % 3]!;
      switch (i % 6) {
        case 0:
          return deliver(box.address, `b${i}`);
        case 1:
          return db.aether.store.storeFlags({
            mailboxId: box.id,
            folderId: from,
            uids: '1:*',
            mode: 'add',
            flags: ['\\Seen'],
          });
        case 2:
          return db.aether.store.storeFlags({
            mailboxId: box.id,
            folderId: from,
            uids: `${i % 7}:*`,
            mode: 'remove',
            flags: ['\\Seen'],
          });
        case 3:
          return db.aether.store.move({ mailboxId: box.id, folderId: from, uids: `${i % 5}:${i}`, targetFolderId: to });
        case 4:
          return db.aether.store.copy({ mailboxId: box.id, folderId: from, uids: '1:3', targetFolderId: to });
        default:
          return db.aether.store
            .storeFlags({ mailboxId: box.id, folderId: from, uids: `${i % 4}:*`, mode: 'add', flags: ['\\Deleted'] })
            .then(() => db.aether.store.expunge({ mailboxId: box.id, folderId: from }));
      }
    });
    const settled = await Promise.allSettled(ops);
    // each either did its work or was refused as a whole (UID 0 is not a UID): none half-done
    for (const s of settled)
      if (s.status === 'rejected') expect((s.reason as { code?: string }).code).toBe('INVALID_UID_SET');
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThan(40);
    expect(await countDrift(box.id)).toEqual([]);
  });

  it('equal a count of the rows after any generated interleaving (property)', async () => {
    const { box, inbox, archive, trash } = await mailbox();
    const folders = [inbox, archive, trash];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('deliver' as const) }),
      fc.record({
        kind: fc.constant('flag' as const),
        folder: fc.nat(2),
        seen: fc.boolean(),
        from: fc.integer({ min: 1, max: 30 }),
      }),
      fc.record({
        kind: fc.constant('move' as const),
        folder: fc.nat(2),
        to: fc.nat(2),
        from: fc.integer({ min: 1, max: 30 }),
      }),
      fc.record({
        kind: fc.constant('copy' as const),
        folder: fc.nat(2),
        to: fc.nat(2),
        from: fc.integer({ min: 1, max: 30 }),
      }),
      fc.record({ kind: fc.constant('expunge' as const), folder: fc.nat(2), from: fc.integer({ min: 1, max: 30 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (batch) => {
        await Promise.allSettled(
          batch.map((o) => {
            if (o.kind === 'deliver') return deliver(box.address);
            const folderId = folders[o.folder]!;
            const uids = `${o.from}:*`;
            if (o.kind === 'flag')
              return db.aether.store.storeFlags({
                mailboxId: box.id,
                folderId,
                uids,
                mode: o.seen ? 'add' : 'remove',
                flags: ['\\Seen'],
              });
            if (o.kind === 'move' || o.kind === 'copy')
              return db.aether.store[o.kind]({ mailboxId: box.id, folderId, uids, targetFolderId: folders[o.to]! });
            return db.aether.store
              .storeFlags({ mailboxId: box.id, folderId, uids, mode: 'add', flags: ['\\Deleted'] })
              .then(() => db.aether.store.expunge({ mailboxId: box.id, folderId }));
          }),
        );
        expect(await countDrift(box.id)).toEqual([]);
      }),
      { numRuns: 12 },
    );
  });
});

describe('the folder tree', () => {
  it('creates missing parents, spelled as existing ones, with the documented delimiter', async () => {
    const { box } = await mailbox();
    const list = await db.aether.folders.list({ mailboxId: box.id });
    expect(list.delimiter).toBe('/');
    await db.aether.folders.create({ mailboxId: box.id, path: 'Work' });
    const q1 = await db.aether.folders.create({ mailboxId: box.id, path: 'work/2026/Q1' });
    expect(q1).toMatchObject({ path: 'Work/2026/Q1', name: 'Q1', parentPath: 'Work/2026', subscribed: true });
    const paths = (await db.aether.folders.list({ mailboxId: box.id })).folders.map((f) => f.path);
    expect(paths.filter((p) => p.startsWith('Work'))).toEqual(['Work', 'Work/2026', 'Work/2026/Q1']);
    await expectRefused(db, 'FOLDER_EXISTS', () => db.aether.folders.create({ mailboxId: box.id, path: 'WORK/2026' }));
    await expectRefused(db, 'INVALID_FOLDER_PATH', () =>
      db.aether.folders.create({ mailboxId: box.id, path: 'INBOX/x' }),
    );
    await expectRefused(db, 'INVALID_FOLDER_PATH', () => db.aether.folders.create({ mailboxId: box.id, path: 'a//b' }));
  });

  it('renames a subtree in one unit of work, keeping every message, UID and UIDVALIDITY', async () => {
    const { box, inbox } = await mailbox();
    const q1 = await db.aether.folders.create({ mailboxId: box.id, path: 'Work/2026/Q1' });
    const { folders } = await db.aether.folders.list({ mailboxId: box.id });
    const work = folders.find((f) => f.path === 'Work')!;
    const y2026 = folders.find((f) => f.path === 'Work/2026')!;
    for (let i = 0; i < 6; i++) await deliver(box.address, `m${i}`);
    await db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '1:2', targetFolderId: work.id });
    await db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '3:4', targetFolderId: y2026.id });
    await db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '5', targetFolderId: q1.id });
    const snapshot = () =>
      db.sql(
        `select f.id, f.uid_validity, f.uid_next, f.message_count, e.id as email_id, e.uid, e.content_hash
           from folder f left join email e on e.folder_id = f.id and e.mailbox_id = f.mailbox_id
          where f.mailbox_id = $1 order by f.id, e.uid`,
        [box.id],
      );
    const before = await snapshot();
    await db.aether.folders.create({ mailboxId: box.id, path: 'Other' });
    await expectRefused(db, 'FOLDER_EXISTS', () =>
      db.aether.folders.rename({ mailboxId: box.id, folderId: work.id, path: 'OTHER' }),
    );
    await expectRefused(db, 'INVALID_FOLDER_PATH', () =>
      db.aether.folders.rename({ mailboxId: box.id, folderId: work.id, path: 'work/2026/Q1/x' }),
    );
    await expectRefused(db, 'FOLDER_PROTECTED', () =>
      db.aether.folders.rename({ mailboxId: box.id, folderId: inbox, path: 'Old' }),
    );
    const renamed = await db.aether.folders.rename({ mailboxId: box.id, folderId: work.id, path: 'Jobs/Past/Work' });
    expect(renamed).toMatchObject({ id: work.id, path: 'Jobs/Past/Work', parentPath: 'Jobs/Past' });
    const after = await db.aether.folders.list({ mailboxId: box.id });
    const pathOf = (id: string) => after.folders.find((f) => f.id === id)!.path;
    expect([pathOf(work.id), pathOf(y2026.id), pathOf(q1.id)]).toEqual([
      'Jobs/Past/Work',
      'Jobs/Past/Work/2026',
      'Jobs/Past/Work/2026/Q1',
    ]);
    expect(after.folders.map((f) => f.path)).toEqual(expect.arrayContaining(['Jobs', 'Jobs/Past']));
    // the subtree's own rows, messages and UIDs are what they were (the new parents are new rows)
    const kept = (await snapshot()).filter((r) =>
      before.some((b) => (b as { id: string }).id === (r as { id: string }).id),
    );
    expect(kept).toEqual(before);
    expect(await countDrift(box.id)).toEqual([]);
  });

  it('a subtree rename racing moves and deliveries keeps every message, UID and UIDVALIDITY', async () => {
    const { box, inbox } = await mailbox();
    const leaf = await db.aether.folders.create({ mailboxId: box.id, path: 'Team/Inbound' });
    const team = (await db.aether.folders.list({ mailboxId: box.id })).folders.find((f) => f.path === 'Team')!;
    for (let i = 0; i < 8; i++) await deliver(box.address, `m${i}`);
    const validity = () =>
      db.sql(`select id, uid_validity from folder where id in ($1, $2) order by id`, [team.id, leaf.id]);
    const before = await validity();
    const settled = await Promise.allSettled([
      ...Array.from({ length: 4 }, (_, i) =>
        db.aether.folders.rename({ mailboxId: box.id, folderId: team.id, path: i % 2 ? 'Team' : `Crew${i}` }),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        db.aether.store.move({
          mailboxId: box.id,
          folderId: inbox,
          uids: `${2 * i + 1}:${2 * i + 2}`,
          targetFolderId: leaf.id,
        }),
      ),
      ...Array.from({ length: 3 }, (_, i) => deliver(box.address, `late${i}`)),
    ]);
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    expect(await validity()).toEqual(before);
    const moved = await db.sql<{ uid: string }>(`select uid from email where folder_id = $1 order by uid`, [leaf.id]);
    expect(moved.map((r) => Number(r.uid))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const { folders } = await db.aether.folders.list({ mailboxId: box.id });
    const teamNow = folders.find((f) => f.id === team.id)!;
    expect(folders.find((f) => f.id === leaf.id)!.path).toBe(`${teamNow.path}/Inbound`);
    expect(await db.sql(`select count(*)::int as n from email where mailbox_id = $1`, [box.id])).toEqual([{ n: 11 }]);
    expect(await countDrift(box.id)).toEqual([]);
  });

  it('refuses to delete a folder that holds mail or has children, and never loses mail', async () => {
    const { box, inbox, trash } = await mailbox();
    const child = await db.aether.folders.create({ mailboxId: box.id, path: 'Keep/Child' });
    const parent = (await db.aether.folders.list({ mailboxId: box.id })).folders.find((f) => f.path === 'Keep')!;
    await deliver(box.address);
    await db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '1', targetFolderId: child.id });
    await expectRefused(db, 'FOLDER_NOT_EMPTY', () =>
      db.aether.folders.delete({ mailboxId: box.id, folderId: child.id }),
    );
    await expectRefused(db, 'FOLDER_HAS_CHILDREN', () =>
      db.aether.folders.delete({ mailboxId: box.id, folderId: parent.id }),
    );
    await expectRefused(db, 'FOLDER_PROTECTED', () => db.aether.folders.delete({ mailboxId: box.id, folderId: trash }));
    await db.aether.store.move({ mailboxId: box.id, folderId: child.id, uids: '1:*', targetFolderId: trash });
    await db.aether.folders.delete({ mailboxId: box.id, folderId: child.id });
    await db.aether.folders.delete({ mailboxId: box.id, folderId: parent.id });
    const rows = await db.sql(`select folder_id from email where mailbox_id = $1`, [box.id]);
    expect(rows).toEqual([{ folder_id: trash }]);
    expect(await db.sql(`select 1 from folder where id in ($1, $2)`, [child.id, parent.id])).toEqual([]);
  });

  it('a delete racing moves into the folder never loses mail (deterministic and burst)', async () => {
    const { box, inbox } = await mailbox();
    for (let i = 0; i < 6; i++) await deliver(box.address, `m${i}`);
    const target = await db.aether.folders.create({ mailboxId: box.id, path: 'Racing' });
    // deterministic: the move queues first behind the held mailbox row, the delete after it
    const held = await hold(db, [[`select 1 from address where id = $1 for update`, [box.id]]]);
    const move = db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '1', targetFolderId: target.id });
    await waitForLockWaiters(db, 1);
    const removal = outcomeOf(db.aether.folders.delete({ mailboxId: box.id, folderId: target.id }));
    await waitForLockWaiters(db, 2);
    await held.commit();
    await move;
    expect(await removal).toBe('FOLDER_NOT_EMPTY');
    // burst: moves out and in, and deletes, all at once
    const settled = await Promise.allSettled([
      db.aether.store.move({ mailboxId: box.id, folderId: target.id, uids: '1:*', targetFolderId: inbox }),
      ...Array.from({ length: 4 }, () => db.aether.folders.delete({ mailboxId: box.id, folderId: target.id })),
      ...Array.from({ length: 4 }, (_, i) =>
        db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: `${i + 2}`, targetFolderId: target.id }),
      ),
    ]);
    for (const s of settled)
      if (s.status === 'rejected')
        expect(['FOLDER_NOT_EMPTY', 'NOT_FOUND']).toContain((s.reason as { code?: string }).code);
    const [{ n }] = (await db.sql(`select count(*)::int as n from email where mailbox_id = $1`, [box.id])) as [
      { n: number },
    ];
    expect(n).toBe(6);
    const gone = (await db.sql(`select 1 from folder where id = $1`, [target.id])).length === 0;
    if (gone) expect(await db.sql(`select 1 from email where folder_id = $1`, [target.id])).toEqual([]);
    expect(await countDrift(box.id)).toEqual([]);
  });

  it('subscribes and unsubscribes; LSUB lists only subscribed folders', async () => {
    const { box } = await mailbox();
    const f = await db.aether.folders.create({ mailboxId: box.id, path: 'News' });
    const off = await db.aether.folders.subscribe({ mailboxId: box.id, folderId: f.id, subscribed: false });
    expect(off.subscribed).toBe(false);
    const lsub = await db.aether.folders.list({ mailboxId: box.id, subscribedOnly: true });
    expect(lsub.folders.map((x) => x.path)).not.toContain('News');
    await expectRefused(db, 'INVALID_FOLDER_PATH', () =>
      db.aether.folders.subscribe({ mailboxId: box.id, folderId: f.id, subscribed: 'yes' as unknown as boolean }),
    );
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.folders.subscribe({
        mailboxId: box.id,
        folderId: '0190b2a4-0000-7000-8000-000000000000',
        subscribed: true,
      }),
    );
  });
});

describe('folder changes in the journal', () => {
  it('journals create, rename, subscribe and delete under the next modseq, and changesSince reports them', async () => {
    const { box } = await mailbox();
    const start = (await db.aether.folders.list({ mailboxId: box.id })).highestModseq;
    const a = await db.aether.folders.create({ mailboxId: box.id, path: 'A/B' });
    const listed = await db.aether.folders.list({ mailboxId: box.id });
    const parent = listed.folders.find((f) => f.path === 'A')!;
    await db.aether.folders.rename({ mailboxId: box.id, folderId: parent.id, path: 'C' });
    await db.aether.folders.subscribe({ mailboxId: box.id, folderId: a.id, subscribed: false });
    const temp = await db.aether.folders.create({ mailboxId: box.id, path: 'Temp' });
    await db.aether.folders.delete({ mailboxId: box.id, folderId: temp.id });
    const journal = await db.sql<{ modseq: string; folder_id: string; folder_event: string }>(
      `select modseq, folder_id, folder_event from mail_change where mailbox_id = $1 and kind = 'folder' and modseq > $2
        order by modseq, id`,
      [box.id, start],
    );
    expect(journal.map((j) => [j.folder_id, j.folder_event])).toEqual([
      [parent.id, 'created'],
      [a.id, 'created'],
      [parent.id, 'renamed'],
      [a.id, 'renamed'],
      [a.id, 'unsubscribed'],
      [temp.id, 'created'],
      [temp.id, 'deleted'],
    ]);
    // one modseq per unit of work, rising
    const modseqs = [...new Set(journal.map((j) => Number(j.modseq)))];
    expect(modseqs).toEqual([start + 1, start + 2, start + 3, start + 4, start + 5]);
    const changes = await db.aether.store.changesSince({ mailboxId: box.id, modseq: start });
    expect(changes.mailboxes).toEqual({
      created: [parent.id, a.id].sort(),
      updated: [],
      destroyed: [],
      countsChanged: [],
    });
    const later = await db.aether.store.changesSince({ mailboxId: box.id, modseq: start + 2 });
    expect(later.mailboxes).toEqual({ created: [], updated: [a.id], destroyed: [], countsChanged: [] });
  });

  it('a replay of changesSince on an earlier listing equals the listing now (JMAP Mailbox/changes)', async () => {
    const { box, inbox } = await mailbox();
    for (let i = 0; i < 3; i++) await deliver(box.address, `m${i}`);
    const ops = fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('create' as const), name: fc.constantFrom('X', 'Y', 'X/1', 'Y/2/3', 'Z') }),
        fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(20), name: fc.constantFrom('R', 'S/T', 'U') }),
        fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(20) }),
        fc.record({ kind: fc.constant('subscribe' as const), pick: fc.nat(20), on: fc.boolean() }),
        fc.record({ kind: fc.constant('deliver' as const) }),
        fc.record({ kind: fc.constant('move' as const), pick: fc.nat(20) }),
      ),
      { minLength: 1, maxLength: 10 },
    );
    await fc.assert(
      fc.asyncProperty(ops, async (batch) => {
        const earlier = await db.aether.folders.list({ mailboxId: box.id });
        for (const op of batch) {
          const { folders } = await db.aether.folders.list({ mailboxId: box.id });
          const user = folders.filter((f) => f.role === null);
          const pick = (n: number) => user[n % Math.max(1, user.length)];
          // refusals (a clash, a folder that holds mail) are part of the game; they change nothing
          const ignore = () => undefined;
          if (op.kind === 'create') await db.aether.folders.create({ mailboxId: box.id, path: op.name }).catch(ignore);
          else if (op.kind === 'deliver') await deliver(box.address);
          else if (op.kind === 'move') {
            const target = pick(op.pick);
            if (target)
              await db.aether.store.move({
                mailboxId: box.id,
                folderId: inbox,
                uids: '1:*',
                targetFolderId: target.id,
              });
          } else {
            const f = pick(op.pick);
            if (!f) continue;
            if (op.kind === 'rename')
              await db.aether.folders.rename({ mailboxId: box.id, folderId: f.id, path: op.name }).catch(ignore);
            else if (op.kind === 'delete')
              await db.aether.folders.delete({ mailboxId: box.id, folderId: f.id }).catch(ignore);
            else await db.aether.folders.subscribe({ mailboxId: box.id, folderId: f.id, subscribed: op.on });
          }
        }
        const now = await db.aether.folders.list({ mailboxId: box.id });
        const changes = await db.aether.store.changesSince({ mailboxId: box.id, modseq: earlier.highestModseq });
        expect(changes.highestModseq).toBe(now.highestModseq);
        // what a JMAP client does: drop the destroyed, fetch the created and updated, apply
        const current = new Map(now.folders.map((f) => [f.id, f]));
        const replayed = new Map<string, FolderView>(earlier.folders.map((f) => [f.id, f]));
        for (const id of changes.mailboxes.destroyed) replayed.delete(id);
        for (const id of [
          ...changes.mailboxes.created,
          ...changes.mailboxes.updated,
          ...changes.mailboxes.countsChanged,
        ])
          replayed.set(id, current.get(id)!);
        const sorted = (m: Map<string, FolderView>) => [...m.values()].sort((x, y) => (x.id < y.id ? -1 : 1));
        expect(sorted(replayed)).toEqual(sorted(current));
        expect(await countDrift(box.id)).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });
});
