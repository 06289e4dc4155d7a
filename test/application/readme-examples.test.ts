/** The usage examples of the README, each as a test. */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain, PASSWORD } from '../support/world.js';

const db = useTestDatabase();

describe('README examples', () => {
  it('create, read with relations, update and delete a user', async () => {
    const { users, domains, mailboxes } = db.aether;
    const user = await users.register({ email: 'jane@example.com', password: PASSWORD, name: 'Jane' });
    const domain = await domains.add(user.id, { name: 'jane.example' });
    await mailboxes.create(user.id, { address: 'hello@jane.example' });

    const withRelations = await users.get(user.id, { withDomains: true });
    expect(withRelations.domains?.map((d) => [d.name, d.mailboxes?.map((m) => m.address)])).toEqual([
      ['jane.example', ['hello@jane.example']],
    ]);

    const renamed = await users.rename(user.id, 'Jane Doe');
    expect(renamed.name).toBe('Jane Doe');

    await users.delete(user.id);
    expect(await db.sql('select 1 from "user" where id = $1', [user.id])).toEqual([]);
    expect(await db.sql('select 1 from domain where id = $1', [domain.id])).toEqual([]);
    expect(await db.sql(`select 1 from address where address = 'hello@jane.example'`)).toEqual([]);
  });

  it('users owning a domain ending with a suffix, with domains and mailboxes, in one query', async () => {
    const queriesFor = async () => {
      db.queries.length = 0;
      const owners = await db.aether.users.findOwnersByDomainSuffix('.org');
      return { owners, queries: db.queries.filter((q) => q.startsWith('select')).length };
    };
    for (let i = 0; i < 2; i++) {
      const { owner } = await ownerWithDomain(db, { name: `suffix-${i}.org` });
      await db.aether.mailboxes.create(owner.id, { address: `m@suffix-${i}.org` });
    }
    await ownerWithDomain(db, { name: 'other.net' });
    const few = await queriesFor();
    for (let i = 2; i < 12; i++) {
      const { owner } = await ownerWithDomain(db, { name: `suffix-${i}.org` });
      await db.aether.mailboxes.create(owner.id, { address: `m@suffix-${i}.org` });
    }
    const many = await queriesFor();
    expect(few.owners).toHaveLength(2);
    expect(many.owners).toHaveLength(12);
    expect(many.owners.every((o) => o.domains?.every((d) => d.mailboxes?.length === 1))).toBe(true);
    expect(many.queries).toBe(few.queries);
    expect(many.queries).toBe(1);
    // the views are built from rows, not entities: they must be the very views the entities give
    for (const owner of many.owners) {
      const { domains, ...user } = owner;
      expect(user).toEqual(await db.aether.users.get(owner.id));
      for (const { mailboxes, ...domain } of domains ?? []) {
        const { mailboxes: _, ...fromEntity } = await db.aether.domains.get(owner.id, domain.id);
        expect(domain).toEqual(fromEntity);
        expect(domain.verifiedAt).toBeInstanceOf(Date);
        for (const mailbox of mailboxes ?? []) {
          const { folders: _, ...fromEntity } = await db.aether.mailboxes.get(owner.id, mailbox.id);
          expect(mailbox).toEqual(fromEntity);
        }
      }
    }
    // an owner is listed once with all their domains, even those not ending in the suffix
    const { owner: both } = await ownerWithDomain(db, { name: 'both-a.org' });
    await db.aether.domains.add(both.id, { name: 'both-b.net' });
    const listed = (await db.aether.users.findOwnersByDomainSuffix('.org')).filter((o) => o.id === both.id);
    expect(listed.map((o) => o.domains?.map((d) => d.name).sort())).toEqual([['both-a.org', 'both-b.net']]);
  });

  it('email counts per user in one grouped query', async () => {
    const a = await ownerWithDomain(db, { name: 'count-a.example' });
    const b = await ownerWithDomain(db, { name: 'count-b.example' });
    await db.aether.mailboxes.create(a.owner.id, { address: 'x@count-a.example' });
    await db.aether.mailboxes.create(b.owner.id, { address: 'y@count-b.example' });
    await db.aether.mail.deliverMany('x@count-a.example', [message(), message(), message()]);
    await db.aether.mail.deliverMany('y@count-b.example', [message()]);
    db.queries.length = 0;
    const counts = await db.aether.statistics.emailCountsPerUser();
    expect(
      counts
        .filter((c) => c.userId === a.owner.id || c.userId === b.owner.id)
        .map((c) => c.emails)
        .sort(),
    ).toEqual([1, 3]);
    expect(db.queries.filter((q) => q.startsWith('select'))).toHaveLength(1);
    expect(db.queries.find((q) => q.startsWith('select'))).toMatch(/group by/);
  });

  it("an outbound relay's loop: claim, then delivered, bounced or deferred by the remote server's reply", async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `relay@${domain.name}` });
    await db.aether.mail.send(owner.id, box.id, {
      to: ['ok@far.test', 'gone@far.test', 'busy@far.test'],
      subject: 'out',
      body: 'b',
    });
    // the remote servers, as an SMTP client would hear them
    const sendOverSmtp = async (m: { recipient: string }) =>
      m.recipient.startsWith('ok')
        ? { ok: true, permanent: false, text: '250 2.0.0 queued' }
        : m.recipient.startsWith('gone')
          ? { ok: false, permanent: true, text: '550 5.1.1 user unknown' }
          : { ok: false, permanent: false, text: '421 4.3.2 try later' };
    const aether = db.aether;

    const claimed = await aether.outbound.claim({ relayId: 'relay-1', limit: 50, leaseSeconds: 300 });
    for (const m of claimed) {
      const reply = await sendOverSmtp(m);
      if (reply.ok) await aether.outbound.delivered([{ id: m.id, attempt: m.attempt }]);
      else if (reply.permanent) await aether.outbound.bounced({ id: m.id, attempt: m.attempt }, reply.text);
      else await aether.outbound.deferred({ id: m.id, attempt: m.attempt }, reply.text);
    }

    const rows = await db.sql<{ recipient: string; status: string }>(
      'select recipient, status from outbound_message where sender_mailbox_id = $1 order by recipient',
      [box.id],
    );
    expect(rows).toEqual([
      { recipient: 'busy@far.test', status: 'deferred' },
      { recipient: 'gone@far.test', status: 'bounced' },
      { recipient: 'ok@far.test', status: 'delivered' },
    ]);
  });

  it('the folder tree, as the README shows it', async () => {
    const { owner, domain } = await ownerWithDomain(db, { name: 'tree.example' });
    const inbox = await db.aether.mailboxes.create(owner.id, { address: `hello@${domain.name}` });
    const tree = await db.aether.folders.list({ mailboxId: inbox.id });
    expect(tree.delimiter).toBe('/');
    const q1 = await db.aether.folders.create({ mailboxId: inbox.id, path: 'Work/2026/Q1' });
    await db.aether.folders.rename({ mailboxId: inbox.id, folderId: q1.id, path: 'Archive/2026/Q1' });
    await db.aether.folders.subscribe({ mailboxId: inbox.id, folderId: q1.id, subscribed: false });
    const lsub = await db.aether.folders.list({ mailboxId: inbox.id, subscribedOnly: true });
    expect(lsub.folders.map((f) => f.path)).not.toContain('Archive/2026/Q1');
    await db.aether.folders.delete({ mailboxId: inbox.id, folderId: q1.id });
    const since = await db.aether.store.changesSince({ mailboxId: inbox.id, modseq: tree.highestModseq });
    const paths = (await db.aether.folders.list({ mailboxId: inbox.id })).folders.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['Work', 'Work/2026', 'Archive/2026']));
    expect(paths).not.toContain('Archive/2026/Q1');
    // created since the listing: Work, Work/2026, Archive/2026 (Q1 came and went)
    expect(since.mailboxes.created).toHaveLength(3);
    expect(since.mailboxes).toMatchObject({ updated: [], destroyed: [], countsChanged: [] });
  });

  it('a thread and a search in the message store', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const inbox = await db.aether.mailboxes.create(owner.id, { address: `readme@${domain.name}` });
    const inboxFolder = (await db.aether.mailboxes.get(owner.id, inbox.id)).folders!.find((f) => f.role === 'inbox')!;
    const raw = (id: string, subject: string, extra = '') =>
      Buffer.from(
        `From: billing@shop.example\r\nTo: ${inbox.address}\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n${extra}\r\ninvoice for march\r\n`,
      );
    const first = await db.aether.mail.deliverInbound({ recipients: [inbox.address], message: raw('1@shop', 'Bill') });
    await db.aether.mail.deliverInbound({
      recipients: [inbox.address],
      message: raw('2@shop', 'Re: Bill', 'In-Reply-To: <1@shop>\r\n'),
    });
    const emailId = first.delivered[0]!.emailId;
    const { threadId, emails } = await db.aether.store.thread({ mailboxId: inbox.id, emailId });
    expect(emails.map((e) => e.uid)).toEqual([1, 2]);

    await db.aether.store.storeFlags({
      mailboxId: inbox.id,
      folderId: inboxFolder.id,
      uids: '2',
      mode: 'add',
      flags: ['$label1'],
    });
    const page = await db.aether.store.search({
      mailboxId: inbox.id,
      folderId: inboxFolder.id,
      text: 'invoice march',
      from: 'billing@shop.example',
      since: new Date('2026-03-01'),
      flags: { seen: false, deleted: false },
      keywords: ['$label1'],
      uids: '1:*',
      limit: 100,
    });
    expect(page.items.map((i) => [i.uid, i.threadId])).toEqual([[2, threadId]]);
    expect(page.nextCursor).toBeNull();
  });
});
