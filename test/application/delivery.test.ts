import { describe, expect, it } from 'vitest';
import { mailboxLedger } from '../support/ledger.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

async function mailboxOn(options: Parameters<typeof ownerWithDomain>[1] = {}, quotaBytes?: number) {
  const { owner, domain } = await ownerWithDomain(db, options);
  const box = await db.aether.mailboxes.create(owner.id, {
    address: `box@${domain.name}`,
    ...(quotaBytes ? { quotaBytes } : {}),
  });
  return { owner, domain, box };
}

const ledger = (mailboxId: string) => mailboxLedger(db, mailboxId);

describe('inbound delivery', () => {
  it('stores one copy in INBOX and counts its bytes against the quota', async () => {
    const { box } = await mailboxOn();
    const report = await db.aether.mail.deliverInbound({
      recipients: [box.address],
      message: message({ subject: 'Größe', body: 'é' }),
    });
    expect(report.delivered).toEqual([{ mailboxId: box.id, address: box.address, emailId: expect.any(String) }]);
    const [email] = await db.sql<{ folder: string; size_bytes: number; user_id: string }>(
      `select f.role as folder, e.size_bytes from email e join folder f on f.id = e.folder_id where e.mailbox_id = $1`,
      [box.id],
    );
    expect(email!.folder).toBe('inbox');
    const { used, stored } = await ledger(box.id);
    expect(used).toBe(stored);
    expect(used).toBe(email!.size_bytes);
  });

  it('refuses unverified and suspended domains and suspended mailboxes, storing nothing', async () => {
    const unverified = await mailboxOn({ verified: false });
    await expectRefused(db, 'DOMAIN_NOT_VERIFIED', () =>
      db.aether.mail.deliverInbound({ recipients: [unverified.box.address], message: message() }),
    );

    const suspended = await mailboxOn();
    await db.aether.domains.suspend(suspended.owner.id, suspended.domain.id);
    await expectRefused(db, 'DOMAIN_SUSPENDED', () =>
      db.aether.mail.deliverInbound({ recipients: [suspended.box.address], message: message() }),
    );
    await db.aether.domains.activate(suspended.owner.id, suspended.domain.id);
    await db.aether.mailboxes.suspend(suspended.owner.id, suspended.box.id);
    await expectRefused(db, 'MAILBOX_SUSPENDED', () =>
      db.aether.mail.deliverInbound({ recipients: [suspended.box.address], message: message() }),
    );
    await db.aether.mailboxes.activate(suspended.owner.id, suspended.box.id);
    await db.aether.mail.deliverInbound({ recipients: [suspended.box.address], message: message() });
  });

  it('refuses a message past the quota, keeping used bytes equal to what is stored', async () => {
    // the quota counts the raw message's octets: headers and all (about 430 for this one)
    const { owner, box } = await mailboxOn({}, 700);
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ body: 'x'.repeat(150) }) });
    await expectRefused(db, 'QUOTA_EXCEEDED', () =>
      db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ body: 'x'.repeat(150) }) }),
    );
    const before = await ledger(box.id);
    expect(before.used).toBe(before.stored);
    // purging frees the space again
    const [email] = await db.sql<{ id: string }>('select id from email where mailbox_id = $1', [box.id]);
    await db.aether.mail.purge(owner.id, box.id, email!.id);
    expect(await ledger(box.id)).toEqual({ used: 0, quota: 700, stored: 0, emails: 0 });
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ body: 'x'.repeat(150) }) });
  });

  it('is all or nothing across recipients', async () => {
    const { owner, domain, box } = await mailboxOn();
    const full = await db.aether.mailboxes.create(owner.id, { address: `full@${domain.name}`, quotaBytes: 10 });
    await expectRefused(db, 'QUOTA_EXCEEDED', () =>
      db.aether.mail.deliverInbound({ recipients: [box.address, full.address], message: message() }),
    );
    await expectRefused(db, 'NO_SUCH_RECIPIENT', () =>
      db.aether.mail.deliverInbound({ recipients: [box.address, `nobody@${domain.name}`], message: message() }),
    );
    await expectRefused(db, 'NO_SUCH_RECIPIENT', () =>
      db.aether.mail.deliverInbound({ recipients: ['someone@not-ours.example'], message: message() }),
    );
    expect((await ledger(box.id)).emails).toBe(0);
  });

  it('resolves aliases and the catch-all to one copy per mailbox, and reports external forwards', async () => {
    const { owner, domain, box } = await mailboxOn();
    const d = domain.name;
    await db.aether.aliases.add(owner.id, {
      source: `team@${d}`,
      destinations: [box.address, `sales@${d}`, 'partner@outside.test'],
    });
    await db.aether.aliases.add(owner.id, { source: `sales@${d}`, destinations: [box.address] });
    await db.aether.aliases.addCatchAll(owner.id, { domain: d, destinations: [`team@${d}`] });
    const report = await db.aether.mail.deliverInbound({
      recipients: [`team@${d}`, `whoever@${d}`, box.address],
      message: message(),
    });
    expect(report.delivered.map((r) => r.mailboxId)).toEqual([box.id]);
    expect(report.forwarded).toEqual(['partner@outside.test']);
    expect((await ledger(box.id)).emails).toBe(1);
  });

  it('refuses malformed messages with INVALID_MESSAGE', async () => {
    const { box } = await mailboxOn();
    for (const bad of [
      message({ subject: 'line\r\nBcc: victim@x.test' }),
      message({ body: 'nul\u0000byte' }),
      message({ subject: 'lone \ud800 surrogate' }),
      message({ subject: 'x'.repeat(5000) }),
      { ...message(), from: 'not an address' },
    ]) {
      await expectRefused(db, 'INVALID_MESSAGE', () =>
        db.aether.mail.deliverInbound({ recipients: [box.address], message: bad }),
      );
    }
  });
});

describe('handling email', () => {
  it('pages a folder newest first by keyset, across pages, with no gaps or repeats', async () => {
    const { owner, box } = await mailboxOn();
    await db.aether.mail.deliverMany(
      box.address,
      Array.from({ length: 25 }, (_, i) => message({ subject: `m${i}` })),
    );
    const inbox = (await db.aether.mailboxes.get(owner.id, box.id)).folders!.find((f) => f.role === 'inbox')!;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await db.aether.mail.listFolderPage(owner.id, {
        mailboxId: box.id,
        folderId: inbox.id,
        limit: 10,
        cursor,
      });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = await db.sql<{ id: string }>(
      'select id from email where mailbox_id = $1 order by received_at desc, id desc',
      [box.id],
    );
    expect(seen).toEqual(expected.map((r) => r.id));
    await expectRefused(db, 'INVALID_CURSOR', () =>
      db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id, cursor: 'garbage' }),
    );
  });

  it("does not show one user another user's folder", async () => {
    const mine = await mailboxOn();
    const theirs = await mailboxOn();
    await db.aether.mail.deliverInbound({ recipients: [theirs.box.address], message: message() });
    const inbox = (await db.aether.mailboxes.get(theirs.owner.id, theirs.box.id)).folders!.find(
      (f) => f.role === 'inbox',
    )!;
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.mail.listFolderPage(mine.owner.id, { mailboxId: theirs.box.id, folderId: inbox.id }),
    );
  });

  it('reads, flags, moves, trashes and purges', async () => {
    const { owner, box } = await mailboxOn();
    const { delivered } = await db.aether.mail.deliverInbound({
      recipients: [box.address],
      message: message({ body: 'the body' }),
    });
    const id = delivered[0]!.emailId;
    const read = await db.aether.mail.read(owner.id, box.id, id);
    expect(read).toMatchObject({ body: 'the body', flags: { seen: true, flagged: false } });
    await db.aether.mail.flag(owner.id, box.id, id, { flagged: true, answered: true });
    const archive = (await db.aether.mailboxes.get(owner.id, box.id)).folders!.find((f) => f.role === 'archive')!;
    await db.aether.mail.move(owner.id, box.id, id, archive.id);
    const [row] = await db.sql<{ role: string; seen: boolean; flagged: boolean; answered: boolean }>(
      'select f.role, e.seen, e.flagged, e.answered from email e join folder f on f.id = e.folder_id where e.id = $1',
      [id],
    );
    expect(row).toEqual({ role: 'archive', seen: true, flagged: true, answered: true });
    await db.aether.mail.trash(owner.id, box.id, id);
    expect(
      await db.sql('select f.role from email e join folder f on f.id = e.folder_id where e.id = $1', [id]),
    ).toEqual([{ role: 'trash' }]);
    await db.aether.mail.purge(owner.id, box.id, id);
    expect(await ledger(box.id)).toEqual({ used: 0, quota: box.quotaBytes, stored: 0, emails: 0 });
    await expectRefused(db, 'NOT_FOUND', () => db.aether.mail.purge(owner.id, box.id, id));
  });

  it('refuses moving an email into a folder of another mailbox', async () => {
    const { owner, domain, box } = await mailboxOn();
    const other = await db.aether.mailboxes.create(owner.id, { address: `other@${domain.name}` });
    const { delivered } = await db.aether.mail.deliverInbound({ recipients: [box.address], message: message() });
    const foreign = (await db.aether.mailboxes.get(owner.id, other.id)).folders!.find((f) => f.role === 'archive')!;
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.mail.move(owner.id, box.id, delivered[0]!.emailId, foreign.id),
    );
  });

  it('sends: a seen copy in Sent, local recipients delivered, external ones reported', async () => {
    const { owner, domain, box } = await mailboxOn();
    const friend = await db.aether.mailboxes.create(owner.id, { address: `friend@${domain.name}` });
    const report = await db.aether.mail.send(owner.id, box.id, {
      to: [friend.address, 'far@outside.test'],
      subject: 'hey',
      body: 'b',
    });
    expect(report.delivered.map((d) => d.mailboxId)).toEqual([friend.id]);
    expect(report.forwarded).toEqual(['far@outside.test']);
    const rows = await db.sql<{ address: string; role: string; seen: boolean }>(
      `select a.address, f.role, e.seen from email e join folder f on f.id = e.folder_id join address a on a.id = e.mailbox_id order by a.address`,
    );
    expect(rows).toContainEqual({ address: box.address, role: 'sent', seen: true });
    expect(rows).toContainEqual({ address: friend.address, role: 'inbox', seen: false });
  });
});
