import { describe, expect, it } from 'vitest';
import { mailboxLedger } from '../support/ledger.js';
import { useTestDatabase } from '../support/test-database.js';
import { PASSWORD } from '../support/world.js';

const db = useTestDatabase();

describe('a mail flow through the application services', () => {
  it('registers, adds and verifies a domain, creates a mailbox, delivers and lists', async () => {
    const { users, domains, mailboxes, mail } = db.aether;
    const ada = await users.register({ email: 'ada@example.net', password: PASSWORD, name: 'Ada' });
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
    const ledger = await mailboxLedger(db, box.id);
    expect(ledger).toMatchObject({ emails: 1, used: ledger.stored });
    expect(ledger.used).toBeGreaterThan(0);
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
