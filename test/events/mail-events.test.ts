/**
 * The mail's change events: every use case that changes mail writes its events in its own
 * transaction, with the mailbox's modseq, in the order of the journal — delivery (and quota
 * thresholds), send, flags, moves, expunges, folders, and the deletion of a whole domain.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

interface Row {
  kind: string;
  modseq: string | null;
  data: Record<string, unknown>;
}

const eventsOf = (key: string) =>
  db.sql<Row>(
    `select kind, modseq, data from outbox_event where ordering_key = $1 and kind not like 'mailbox.created' order by position`,
    [key],
  );

describe('mail events', () => {
  it('delivery, flags, moves, expunges and folders each write their event with the modseq of their change', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `ev@${domain.name}`, quotaBytes: 2_000 });
    const inbox = box.folders!.find((f) => f.role === 'inbox')!;
    const archive = box.folders!.find((f) => f.role === 'archive')!;
    const { delivered } = await db.aether.mail.deliverInbound({ recipients: [box.address], message: message() });
    const emailId = delivered[0]!.emailId;
    await db.aether.mail.flag(owner.id, box.id, emailId, { flagged: true });
    await db.aether.mail.move(owner.id, box.id, emailId, archive.id);
    await db.aether.mail.purge(owner.id, box.id, emailId);
    const folder = await db.aether.mailboxes.createFolder(owner.id, box.id, 'Projects');
    await db.aether.mailboxes.renameFolder(owner.id, box.id, folder.id, 'Work');
    await db.aether.mailboxes.deleteFolder(owner.id, box.id, folder.id);

    const events = await eventsOf(box.id);
    expect(events.map((e) => e.kind)).toEqual([
      'email.delivered',
      'email.flags_changed',
      'email.moved',
      'email.expunged',
      'folder.created',
      'folder.renamed',
      'folder.deleted',
    ]);
    const journal = await db.sql<{ modseq: string; kind: string }>(
      `select distinct modseq::text, kind from mail_change where mailbox_id = $1 and kind <> 'added' or (mailbox_id = $1 and kind = 'added' and folder_id = $2) order by 1`,
      [box.id, inbox.id],
    );
    // the email events carry the modseq their unit of work journalled, strictly rising
    const modseqs = events.slice(0, 4).map((e) => Number(e.modseq));
    expect(modseqs).toEqual([...modseqs].sort((a, b) => a - b));
    expect(new Set(modseqs).size).toBe(4);
    for (const m of modseqs) expect(journal.some((j) => Number(j.modseq) === m)).toBe(true);
    expect(events[0]!.data).toMatchObject({ emailId, folderId: inbox.id, uid: 1 });
    expect(events[2]!.data).toMatchObject({ emailId, fromFolderId: inbox.id, toFolderId: archive.id });
    expect(events[3]!.data).toMatchObject({ emailIds: [emailId], folderId: archive.id });
    expect(events[5]!.data).toMatchObject({ path: 'Work', previousPath: 'Projects' });
    // no bodies or subjects in events
    expect(JSON.stringify(events)).not.toContain(message().body);
  });

  it('deliveries that cross 80 and 95 % of the quota say so, each threshold once', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const [first, second] = [message({ body: 'x'.repeat(3_800) }), message({ body: 'y'.repeat(300) })];
    // the raw sizes, measured on a mailbox without quota, give a quota both deliveries cross into
    const probe = await db.aether.mailboxes.create(owner.id, { address: `probe@${domain.name}`, quotaBytes: 0 });
    const sizes: number[] = [];
    for (const m of [first, second]) {
      const { delivered } = await db.aether.mail.deliverInbound({ recipients: [probe.address], message: m });
      sizes.push(
        (
          await db.sql<{ n: number }>('select size_bytes::int as n from email where id = $1', [delivered[0]!.emailId])
        )[0]!.n,
      );
    }
    const quota = Math.floor((sizes[0]! + sizes[1]!) / 0.97);
    expect(sizes[0]! * 100).toBeGreaterThanOrEqual(80 * quota);
    const box = await db.aether.mailboxes.create(owner.id, { address: `q@${domain.name}`, quotaBytes: quota });
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: first });
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: second });
    const reached = (await eventsOf(box.id))
      .filter((e) => e.kind === 'mailbox.quota_reached')
      .map((e) => Number(e.data.percent));
    expect(reached).toEqual([80, 95]);
  });

  it('deleting a domain writes domain.deleted and a mailbox.deleted for each of its mailboxes', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const a = await db.aether.mailboxes.create(owner.id, { address: `a@${domain.name}` });
    const b = await db.aether.mailboxes.create(owner.id, { address: `b@${domain.name}` });
    await db.aether.domains.delete(owner.id, domain.id);
    expect((await eventsOf(a.id)).map((e) => e.kind)).toEqual(['mailbox.deleted']);
    expect((await eventsOf(b.id)).map((e) => e.kind)).toEqual(['mailbox.deleted']);
    expect((await eventsOf(domain.id)).map((e) => e.kind).at(-1)).toBe('domain.deleted');
  });
});
