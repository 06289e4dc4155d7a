import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { replayJournal } from '../../src/application/message-store-service.js';
import { mailboxLedger } from '../support/ledger.js';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 60 });

async function mailbox(quotaBytes?: number) {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, {
    address: `box@${domain.name}`,
    ...(quotaBytes ? { quotaBytes } : {}),
  });
  const folders = (await db.aether.mailboxes.get(owner.id, box.id)).folders!;
  const folder = (role: string) => folders.find((f) => f.role === role)!.id;
  return { owner, domain, box, inbox: folder('inbox'), trash: folder('trash'), archive: folder('archive') };
}

const fixture = (name: string) => readFile(new URL(`../fixtures/messages/${name}`, import.meta.url));

const dangling = async () =>
  (
    await db.sql<{ n: number }>(
      `select count(*)::int as n from message m
        where not exists (select 1 from email e where e.mailbox_id = m.mailbox_id and e.content_hash = m.content_hash)`,
    )
  )[0]!.n;

describe('raw messages', () => {
  it('reads back the bytes delivered, for a corpus of real-world shapes and a 25 MiB message', async () => {
    const { box, inbox } = await mailbox();
    const big = Buffer.concat([
      Buffer.from(
        `From: big@outside.test\r\nTo: ${box.address}\r\nSubject: big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
      ),
      Buffer.from(
        Buffer.alloc(18 * 1024 * 1024, 7)
          .toString('base64')
          .replace(/.{76}/g, '$&\r\n'),
      ),
    ]);
    expect(big.length).toBeGreaterThan(24 * 1024 * 1024);
    const corpus = [
      ...(await Promise.all(['alternative.eml', 'latin1-8bit.eml', 'attachment.eml', 'malformed.eml'].map(fixture))),
      big,
    ];
    for (const raw of corpus) {
      const { delivered } = await db.aether.mail.deliverInbound({ recipients: [box.address], message: raw });
      const emailId = delivered[0]!.emailId;
      const { stream, sizeBytes } = await db.aether.store.openRaw({ mailboxId: box.id, emailId });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(sizeBytes).toBe(raw.length);
      expect(Buffer.concat(chunks).equals(raw)).toBe(true);
    }
    const fetched = await db.aether.store.fetch({ mailboxId: box.id, folderId: inbox, uids: '1:4', raw: true });
    expect(fetched.map((f) => f.uid)).toEqual([1, 2, 3, 4]);
    expect(fetched[0]!.structure).toMatchObject({
      type: 'multipart',
      subtype: 'alternative',
      children: [{ subtype: 'plain' }, { subtype: 'html' }],
    });
    expect(fetched[1]!.envelope.subject).toBe('Grüße');
    expect(fetched[2]!.attachments).toEqual([
      expect.objectContaining({ name: 'a.pdf', type: 'application/pdf', disposition: 'attachment' }),
    ]);
    expect(fetched[3]!.raw!.equals(corpus[3]!)).toBe(true);
    // quota counts raw octets
    const ledger = await mailboxLedger(db, box.id);
    expect(ledger.used).toBe(corpus.reduce((n, raw) => n + raw.length, 0));
    expect(ledger.used).toBe(ledger.stored);
  });

  it('stores a message once per mailbox: 100 mailboxes hold a row each, copies in a mailbox share it, and each goes with its mailbox’s last copy', async () => {
    const { owner, domain } = await ownerWithDomain(db, { limits: { maxMailboxes: 0 } });
    const boxes = [];
    for (let i = 0; i < 100; i++)
      boxes.push(await db.aether.mailboxes.create(owner.id, { address: `m${i}@${domain.name}` }));
    const raw = Buffer.concat([Buffer.from('X-Copies: 100\r\n'), await fixture('attachment.eml')]);
    await db.aether.mail.deliverInbound({ recipients: boxes.map((b) => b.address), message: raw });
    const stored = () =>
      db.sql<{ mailbox_id: string; owner_id: string; digest: string; emails: number }>(
        `select m.mailbox_id, m.owner_id, md5(m.raw) as digest,
                (select count(*)::int from email e where e.mailbox_id = m.mailbox_id and e.content_hash = m.content_hash) as emails
           from message m where m.content_hash = encode(sha256($1::bytea), 'hex') order by m.mailbox_id`,
        [raw],
      );
    const digest = createHash('md5').update(raw).digest('hex');
    expect(await stored()).toEqual(
      boxes
        .map((b) => b.id)
        .sort()
        .map((id) => ({ mailbox_id: id, owner_id: owner.id, digest, emails: 1 })),
    );
    // a copy in the same mailbox refers to the same row; purging one of the two keeps it
    const [first] = boxes;
    const folders = (await db.aether.mailboxes.get(owner.id, first!.id)).folders!;
    const inbox = folders.find((f) => f.role === 'inbox')!.id;
    const archive = folders.find((f) => f.role === 'archive')!.id;
    await db.aether.store.copy({ mailboxId: first!.id, folderId: inbox, uids: '1', targetFolderId: archive });
    const copies = await db.sql<{ id: string }>('select id from email where mailbox_id = $1 order by folder_id = $2', [
      first!.id,
      inbox,
    ]);
    expect(copies).toHaveLength(2);
    await db.aether.mail.purge(owner.id, first!.id, copies[0]!.id);
    expect((await stored()).find((r) => r.mailbox_id === first!.id)).toMatchObject({ emails: 1 });
    const emails = await db.sql<{ mailbox_id: string; id: string }>(
      `select mailbox_id, id from email where content_hash = encode(sha256($1::bytea), 'hex')`,
      [raw],
    );
    expect(emails).toHaveLength(100);
    for (const e of emails.slice(0, 50)) await db.aether.mail.purge(owner.id, e.mailbox_id, e.id);
    const left = new Set(emails.slice(50).map((e) => e.mailbox_id));
    expect((await stored()).map((r) => r.mailbox_id)).toEqual([...left].sort());
    for (const e of emails.slice(50)) await db.aether.mail.purge(owner.id, e.mailbox_id, e.id);
    expect(await stored()).toEqual([]);
    expect(await dangling()).toBe(0);
  });

  it('a delivery re-using a hash while the purge of its last copy waits keeps the message', async () => {
    const { owner, box } = await mailbox();
    const raw = await fixture('alternative.eml');
    const first = await db.aether.mail.deliverInbound({ recipients: [box.address], message: raw });
    // the purge stops at the mailbox row; a second delivery of the same bytes is held there too
    const held = await hold(db, [[`select 1 from address where id = $1 for update`, [box.id]]]);
    const purge = db.aether.mail.purge(owner.id, box.id, first.delivered[0]!.emailId);
    await waitForLockWaiters(db, 1);
    const again = db.aether.mail.deliverInbound({ recipients: [box.address], message: raw });
    await waitForLockWaiters(db, 2);
    await held.commit();
    await Promise.all([purge, again]);
    const emails = await db.sql<{ n: number }>(`select count(*)::int as n from email where mailbox_id = $1`, [box.id]);
    expect(emails[0]!.n).toBe(1);
    expect(
      await db.sql(`select 1 from message where mailbox_id = $2 and content_hash = encode(sha256($1::bytea), 'hex')`, [
        raw,
        box.id,
      ]),
    ).toHaveLength(1);
    expect(await dangling()).toBe(0);
  });

  it('the store’s sweep counts what it deleted: an orphan that gains an email while the sweep waits stays, uncounted', async () => {
    const { box } = await mailbox();
    const kept = await db.aether.mail.deliverInbound({
      recipients: [box.address],
      message: message({ subject: 'kept' }),
    });
    const gone = await db.aether.mail.deliverInbound({
      recipients: [box.address],
      message: message({ subject: 'gone' }),
    });
    const hashOf = async (emailId: string) =>
      (await db.sql<{ h: string }>('select content_hash as h from email where id = $1', [emailId]))[0]!.h;
    const orphan = await hashOf(gone.delivered[0]!.emailId);
    // the email of `orphan` deleted by hand (as a purge under row-level security leaves it): its message is a candidate
    await db.sql('delete from email where id = $1', [gone.delivered[0]!.emailId]);
    expect(await dangling()).toBe(1);
    // the sweep finds it, then waits for the message's row; meanwhile an email comes to refer to it again
    const held = await hold(db, [
      ['select 1 from message where mailbox_id = $1 and content_hash = $2 for update', [box.id, orphan]],
      ['update email set content_hash = $2 where id = $1', [kept.delivered[0]!.emailId, orphan]],
    ]);
    const sweep = db.aether.store.sweepMessages();
    await waitForLockWaiters(db, 1);
    await held.commit();
    expect(await sweep).toEqual({ removed: 0 });
    expect(
      await db.sql('select 1 from message where mailbox_id = $1 and content_hash = $2', [box.id, orphan]),
    ).toHaveLength(1);
    // the kept email's own former content is the orphan now, and the next sweep removes and counts it
    expect(await dangling()).toBe(1);
    expect(await db.aether.store.sweepMessages()).toEqual({ removed: 1 });
    expect(await dangling()).toBe(0);
  });
});

describe('UIDs and modseq', () => {
  it('50 concurrent deliveries into one folder: 50 distinct UIDs, UIDNEXT +50, and no reader sees a commit-order inversion', async () => {
    const { box, inbox } = await mailbox();
    const before = await db.aether.store.selectFolder({ mailboxId: box.id, folderId: inbox });
    let done = false;
    const inversions: number[][] = [];
    const reader = (async () => {
      while (!done) {
        const rows = await db.sql<{ uid: string }>(`select uid from email where folder_id = $1 order by uid`, [inbox]);
        const uids = rows.map((r) => Number(r.uid));
        // what is visible is always 1..n, with no hole a later commit would fill
        if (uids.some((u, i) => u !== i + 1)) inversions.push(uids);
      }
    })();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ subject: `n${i}` }) }),
      ),
    );
    done = true;
    await reader;
    expect(inversions).toEqual([]);
    const after = await db.aether.store.selectFolder({ mailboxId: box.id, folderId: inbox });
    expect(after.uidNext).toBe(before.uidNext + 50);
    expect(after.exists).toBe(50);
    expect(after.uidValidity).toBe(before.uidValidity);
    const uids = await db.sql<{ uid: string; modseq: string }>(
      `select uid, modseq from email where folder_id = $1 order by uid`,
      [inbox],
    );
    expect(uids.map((u) => Number(u.uid))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // modseq strictly increasing with UID: both are taken in commit order under the mailbox's lock
    const modseqs = uids.map((u) => Number(u.modseq));
    expect(modseqs.every((m, i) => i === 0 || m > modseqs[i - 1]!)).toBe(true);
    expect(after.highestModseq).toBe(Math.max(...modseqs));
  });

  it('moves and copies racing deliveries: no UID reused, no email in two folders, used bytes exact, journal replays to changesSince', async () => {
    const { box, inbox, archive, trash } = await mailbox();
    for (let i = 0; i < 10; i++)
      await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ subject: `s${i}` }) });
    const start = (await db.aether.store.selectFolder({ mailboxId: box.id, folderId: inbox })).highestModseq;
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ subject: `r${i}` }) }),
      ),
      db.aether.store.move({ mailboxId: box.id, folderId: inbox, uids: '1:5', targetFolderId: archive }),
      db.aether.store.copy({ mailboxId: box.id, folderId: inbox, uids: '6:8', targetFolderId: trash }),
      db.aether.store.storeFlags({
        mailboxId: box.id,
        folderId: inbox,
        uids: '9:*',
        mode: 'add',
        flags: ['\\Seen', '$Important'],
      }),
    ]);
    const ledger = await mailboxLedger(db, box.id);
    expect(ledger.used).toBe(ledger.stored);
    expect(ledger.emails).toBe(23);
    const dupes = await db.sql(
      `select folder_id, uid from email where mailbox_id = $1 group by 1, 2 having count(*) > 1`,
      [box.id],
    );
    expect(dupes).toEqual([]);
    // every UID below its folder's UIDNEXT: the application's rule (no trigger says it since #19)
    expect(
      await db.sql(
        `select e.folder_id, e.uid, f.uid_next from email e join folder f on f.mailbox_id = e.mailbox_id and f.id = e.folder_id
          where e.mailbox_id = $1 and e.uid >= f.uid_next`,
        [box.id],
      ),
    ).toEqual([]);
    // and every UID ever handed out (journal) used once per folder
    const journal = await db.sql<{
      kind: 'added' | 'changed' | 'expunged' | 'folder';
      folder_id: string;
      uid: string;
      modseq: string;
    }>(`select kind, folder_id, uid, modseq from mail_change where mailbox_id = $1 order by modseq, id`, [box.id]);
    const addedTwice = new Set<string>();
    const seen = new Set<string>();
    for (const j of journal.filter((x) => x.kind === 'added')) {
      const key = `${j.folder_id}:${j.uid}`;
      if (seen.has(key)) addedTwice.add(key);
      seen.add(key);
    }
    expect([...addedTwice]).toEqual([]);
    const changes = await db.aether.store.changesSince({ mailboxId: box.id, modseq: start });
    const replay = replayJournal(
      journal
        .filter((j) => Number(j.modseq) > start)
        .map((j) => ({ kind: j.kind, folderId: j.folder_id, uid: Number(j.uid) })),
    );
    expect(changes.folders).toEqual(replay);
    expect(changes.folders[archive]!.added).toHaveLength(5);
    expect(changes.folders[inbox]!.expunged).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('flags, expunge, append and changes', () => {
  it('conditional STORE refuses what changed since; expunge removes exactly the \\Deleted ones and frees their bytes', async () => {
    const { box, inbox } = await mailbox();
    for (let i = 0; i < 4; i++)
      await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ subject: `e${i}` }) });
    const status = await db.aether.store.selectFolder({ mailboxId: box.id, folderId: inbox });
    await db.aether.store.storeFlags({
      mailboxId: box.id,
      folderId: inbox,
      uids: [2],
      mode: 'add',
      flags: ['\\Flagged'],
    });
    const conditional = await db.aether.store.storeFlags({
      mailboxId: box.id,
      folderId: inbox,
      uids: '1:4',
      mode: 'add',
      flags: ['\\Deleted'],
      unchangedSince: status.highestModseq,
    });
    expect(conditional.modified).toEqual([2]);
    expect(conditional.updated.map((u) => u.uid)).toEqual([1, 3, 4]);
    const { expunged } = await db.aether.store.expunge({ mailboxId: box.id, folderId: inbox, uids: '1:3' });
    expect(expunged).toEqual([1, 3]);
    const ledger = await mailboxLedger(db, box.id);
    expect(ledger).toMatchObject({ emails: 2 });
    expect(ledger.used).toBe(ledger.stored);
    const changes = await db.aether.store.changesSince({ mailboxId: box.id, modseq: status.highestModseq });
    expect(changes.folders[inbox]).toEqual({ added: [], changed: [2, 4], expunged: [1, 3] });
    expect(await dangling()).toBe(0);
  });

  it('append stores raw bytes with flags, keywords and internal date, returning the UID', async () => {
    const { box, archive } = await mailbox();
    const raw = await fixture('latin1-8bit.eml');
    const internalDate = new Date('2020-01-02T03:04:05Z');
    const appended = await db.aether.store.append({
      mailboxId: box.id,
      folderId: archive,
      raw,
      flags: ['\\Seen', '$Junk'],
      internalDate,
    });
    expect(appended.uid).toBe(1);
    const [fetched] = await db.aether.store.fetch({ mailboxId: box.id, folderId: archive, uids: '*' });
    expect(fetched).toMatchObject({ uid: 1, flags: ['\\Seen', '$junk'], internalDate });
  });

  it('refuses bad UID sets, flags, unknown folders and a journal older than it keeps, writing nothing', async () => {
    const { box, inbox } = await mailbox();
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: message() });
    await expectRefused(db, 'INVALID_UID_SET', () =>
      db.aether.store.storeFlags({ mailboxId: box.id, folderId: inbox, uids: '0:x', mode: 'add', flags: ['\\Seen'] }),
    );
    await expectRefused(db, 'INVALID_FLAG', () =>
      db.aether.store.storeFlags({ mailboxId: box.id, folderId: inbox, uids: '1', mode: 'add', flags: ['\\Recent'] }),
    );
    await expectRefused(db, 'INVALID_FLAG', () =>
      db.aether.store.storeFlags({ mailboxId: box.id, folderId: inbox, uids: '1', mode: 'add', flags: ['bad word'] }),
    );
    await expectRefused(db, 'NOT_FOUND', () => db.aether.store.expunge({ mailboxId: box.id, folderId: box.id }));
    await expectRefused(db, 'INVALID_MESSAGE', () =>
      db.aether.store.append({ mailboxId: box.id, folderId: inbox, raw: Buffer.alloc(0) }),
    );
    await db.aether.store.storeFlags({ mailboxId: box.id, folderId: inbox, uids: '1', mode: 'add', flags: ['\\Seen'] });
    const { removed } = await db.aether.store.pruneJournal({ olderThan: new Date(Date.now() + 60_000) });
    expect(removed).toBeGreaterThanOrEqual(2);
    await expectRefused(db, 'CANNOT_CALCULATE_CHANGES', () =>
      db.aether.store.changesSince({ mailboxId: box.id, modseq: 0 }),
    );
    const state = await db.aether.store.selectFolder({ mailboxId: box.id, folderId: inbox });
    expect(await db.aether.store.changesSince({ mailboxId: box.id, modseq: state.highestModseq })).toMatchObject({
      folders: {},
    });
  });
});
