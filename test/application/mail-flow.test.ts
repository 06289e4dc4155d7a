import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

describe('a mail flow through the application services', () => {
  it('registers, adds and verifies a domain, creates a mailbox, delivers and lists', async () => {
    const { users, domains, mailboxes, mail } = db.aether;
    const ada = await users.register({ email: 'ada@example.net', password: 'correct horse battery', name: 'Ada' });
    const domain = await domains.add(ada.id, { name: 'example.org' });
    db.dns.publishTxt('example.org', domain.verificationRecord.value);
    const verified = await domains.verify(ada.id, domain.id);
    expect(verified.verified).toBe(true);
    const box = await mailboxes.create(ada.id, { address: 'alice@example.org' });
    const report = await mail.deliverInbound({
      recipients: ['Alice@Example.org'],
      message: { from: 'bob@elsewhere.test', to: ['alice@example.org'], subject: 'hi', body: 'hello' },
    });
    expect(report.delivered).toHaveLength(1);
    const full = await mailboxes.get(ada.id, box.id);
    const inbox = full.folders!.find((f) => f.role === 'inbox')!;
    const page = await mail.listFolderPage(ada.id, { mailboxId: box.id, folderId: inbox.id });
    expect(page.items.map((i) => i.subject)).toEqual(['hi']);
    const rows = await db.sql<{ used_bytes: string; sum: string }>(
      `select a.used_bytes, (select sum(size_bytes) from email e where e.mailbox_id = a.id) as sum from address a where a.id = $1`,
      [box.id],
    );
    expect(rows[0]!.used_bytes).toBe(rows[0]!.sum);
    const stats = await db.aether.statistics.forMailbox(ada.id, box.id);
    expect(stats.folders.find((f) => f.role === 'inbox')).toMatchObject({ emails: 1, unread: 1 });
    const counts = await db.aether.statistics.emailCountsPerUser();
    expect(counts).toEqual([{ userId: ada.id, email: 'ada@example.net', emails: 1 }]);
    const owners = await users.findOwnersByDomainSuffix('.org');
    expect(owners.map((o) => o.domains?.map((d) => d.mailboxes?.map((m) => m.address)))).toEqual([
      [['alice@example.org']],
    ]);
  });
});
