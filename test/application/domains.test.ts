import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain, registerUser } from '../support/world.js';

const db = useTestDatabase();

describe('domains', () => {
  it('stores names lower-case in ASCII and shows internationalised ones in Unicode', async () => {
    const owner = await registerUser(db);
    const domain = await db.aether.domains.add(owner.id, { name: 'Bücher.Example' });
    expect(domain).toMatchObject({ name: 'xn--bcher-kva.example', displayName: 'bücher.example', verified: false });
    await expectRefused(db, 'DOMAIN_TAKEN', () => db.aether.domains.add(owner.id, { name: 'BÜCHER.example' }));
    await expectRefused(db, 'INVALID_DOMAIN_NAME', () => db.aether.domains.add(owner.id, { name: 'pаypal.com' }));
  });

  it('is verified only by the TXT record with its own token', async () => {
    const { owner, domain } = await ownerWithDomain(db, { verified: false });
    expect(domain.verificationRecord).toEqual({
      type: 'TXT',
      name: domain.name,
      value: `aether-verification=${domain.verificationRecord.value.split('=')[1]}`,
    });
    await expectRefused(db, 'DOMAIN_VERIFICATION_FAILED', () => db.aether.domains.verify(owner.id, domain.id));
    db.dns.publishTxt(domain.name, 'aether-verification=someone-elses-token');
    await expectRefused(db, 'DOMAIN_VERIFICATION_FAILED', () => db.aether.domains.verify(owner.id, domain.id));
    const [before] = await db.sql('select verified, verified_at from domain where id = $1', [domain.id]);
    expect(before).toEqual({ verified: false, verified_at: null });
    db.dns.publishTxt(domain.name, domain.verificationRecord.value);
    const verified = await db.aether.domains.verify(owner.id, domain.id);
    expect(verified.verified).toBe(true);
    const [after] = await db.sql<{ verified: boolean; verified_at: Date }>(
      'select verified, verified_at from domain where id = $1',
      [domain.id],
    );
    expect(after!.verified).toBe(true);
    expect(after!.verified_at).toBeInstanceOf(Date);
  });

  it('is managed only by its owner', async () => {
    const { domain } = await ownerWithDomain(db);
    const stranger = await registerUser(db);
    await expectRefused(db, 'NOT_OWNER', () => db.aether.domains.suspend(stranger.id, domain.id));
    await expectRefused(db, 'NOT_OWNER', () =>
      db.aether.mailboxes.create(stranger.id, { address: `x@${domain.name}` }),
    );
    await expectRefused(db, 'NOT_OWNER', () =>
      db.aether.aliases.add(stranger.id, { source: `y@${domain.name}`, destinations: ['z@outside.test'] }),
    );
    const [row] = await db.sql('select status from domain where id = $1', [domain.id]);
    expect(row).toEqual({ status: 'active' });
  });

  it('is deleted by its owner only, with its mailboxes, aliases, folders and email', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `post@${domain.name}` });
    await db.aether.aliases.add(owner.id, { source: `info@${domain.name}`, destinations: [mailbox.address] });
    await db.aether.mail.deliverInbound({
      recipients: [`info@${domain.name}`],
      message: { from: 'a@outside.test', to: [`info@${domain.name}`], subject: 'hi', body: 'hello' },
    });
    const other = await registerUser(db);
    await expectRefused(db, 'NOT_OWNER', () => db.aether.domains.delete(other.id, domain.id));

    await db.aether.domains.delete(owner.id, domain.id);
    expect(await db.sql('select 1 from domain where id = $1', [domain.id])).toEqual([]);
    expect(await db.sql('select 1 from address where domain_id = $1', [domain.id])).toEqual([]);
    expect(await db.sql('select 1 from folder where mailbox_id = $1', [mailbox.id])).toEqual([]);
    expect(await db.sql('select 1 from email where mailbox_id = $1', [mailbox.id])).toEqual([]);
    expect(await db.sql('select 1 from "user" where id = $1', [owner.id])).toEqual([{ '?column?': 1 }]);
    await expectRefused(db, 'NOT_FOUND', () => db.aether.domains.delete(owner.id, domain.id));
    // the name is free again: anyone may add it
    expect((await db.aether.domains.add(other.id, { name: domain.name })).name).toBe(domain.name);
  });

  it('refuses inconsistent limits', async () => {
    const owner = await registerUser(db);
    await expectRefused(db, 'INVALID_QUOTA', () =>
      db.aether.domains.add(owner.id, {
        name: 'limits.example',
        limits: { defaultQuotaBytes: 2000, maxQuotaBytes: 1000 },
      }),
    );
    await expectRefused(db, 'INVALID_LIMIT', () =>
      db.aether.domains.add(owner.id, { name: 'limits.example', limits: { maxMailboxes: -1 } }),
    );
  });
});

describe('mailboxes', () => {
  it('are created with the six special-use folders and the domain default quota', async () => {
    const { owner, domain } = await ownerWithDomain(db, { limits: { defaultQuotaBytes: 5000 } });
    const box = await db.aether.mailboxes.create(owner.id, { address: `Alice@${domain.name.toUpperCase()}` });
    expect(box).toMatchObject({ address: `alice@${domain.name}`, quotaBytes: 5000, usedBytes: 0, status: 'active' });
    const folders = await db.sql<{ path: string; role: string }>(
      'select path, role from folder where mailbox_id = $1 order by path',
      [box.id],
    );
    expect(folders).toEqual([
      { path: 'Archive', role: 'archive' },
      { path: 'Drafts', role: 'drafts' },
      { path: 'INBOX', role: 'inbox' },
      { path: 'Junk', role: 'junk' },
      { path: 'Sent', role: 'sent' },
      { path: 'Trash', role: 'trash' },
    ]);
  });

  it('need a domain of ours and an address on it', async () => {
    const { owner } = await ownerWithDomain(db);
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.mailboxes.create(owner.id, { address: 'bob@not-registered.example' }),
    );
    await expectRefused(db, 'INVALID_EMAIL_ADDRESS', () => db.aether.mailboxes.create(owner.id, { address: 'bob@@x' }));
  });

  it('take addresses that no mailbox or alias holds, whatever the case', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    await db.aether.mailboxes.create(owner.id, { address: `taken@${domain.name}` });
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `TAKEN@${domain.name}` }),
    );
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.aliases.add(owner.id, { source: `Taken@${domain.name}`, destinations: ['x@outside.test'] }),
    );
    await db.aether.aliases.add(owner.id, { source: `alias@${domain.name}`, destinations: ['x@outside.test'] });
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `alias@${domain.name}` }),
    );
  });

  it('respect the per-domain limits on mailboxes, aliases and quotas', async () => {
    const { owner, domain } = await ownerWithDomain(db, {
      limits: { maxMailboxes: 1, maxAliases: 1, defaultQuotaBytes: 1000, maxQuotaBytes: 2000 },
    });
    await expectRefused(db, 'INVALID_QUOTA', () =>
      db.aether.mailboxes.create(owner.id, { address: `big@${domain.name}`, quotaBytes: 3000 }),
    );
    await expectRefused(db, 'INVALID_QUOTA', () =>
      db.aether.mailboxes.create(owner.id, { address: `big@${domain.name}`, quotaBytes: 0 }),
    );
    await db.aether.mailboxes.create(owner.id, { address: `one@${domain.name}`, quotaBytes: 2000 });
    await expectRefused(db, 'MAILBOX_LIMIT_REACHED', () =>
      db.aether.mailboxes.create(owner.id, { address: `two@${domain.name}` }),
    );
    await db.aether.aliases.add(owner.id, { source: `a1@${domain.name}`, destinations: [`one@${domain.name}`] });
    await expectRefused(db, 'ALIAS_LIMIT_REACHED', () =>
      db.aether.aliases.add(owner.id, { source: `a2@${domain.name}`, destinations: [`one@${domain.name}`] }),
    );
  });

  it('keep INBOX and the special-use folders, and user folders unique by name', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `folders@${domain.name}` });
    const { folders } = await db.aether.mailboxes.get(owner.id, box.id);
    const inbox = folders!.find((f) => f.role === 'inbox')!;
    const sent = folders!.find((f) => f.role === 'sent')!;
    await expectRefused(db, 'FOLDER_PROTECTED', () =>
      db.aether.mailboxes.renameFolder(owner.id, box.id, inbox.id, 'Old'),
    );
    await expectRefused(db, 'FOLDER_PROTECTED', () => db.aether.mailboxes.deleteFolder(owner.id, box.id, sent.id));
    await expectRefused(db, 'INVALID_FOLDER_PATH', () =>
      db.aether.mailboxes.createFolder(owner.id, box.id, 'inbox/sub'),
    );
    const work = await db.aether.mailboxes.createFolder(owner.id, box.id, 'Work');
    await expectRefused(db, 'FOLDER_EXISTS', () => db.aether.mailboxes.createFolder(owner.id, box.id, 'work'));
    await expectRefused(db, 'FOLDER_EXISTS', () => db.aether.mailboxes.createFolder(owner.id, box.id, 'Sent'));
    // a folder is not moved inside itself (the tree's rule); elsewhere, missing parents are created
    await expectRefused(db, 'INVALID_FOLDER_PATH', () =>
      db.aether.mailboxes.renameFolder(owner.id, box.id, work.id, 'Work/2026'),
    );
    const renamed = await db.aether.mailboxes.renameFolder(owner.id, box.id, work.id, 'Projects/2026');
    expect(renamed).toMatchObject({ path: 'Projects/2026', name: '2026', parentPath: 'Projects' });
    await db.aether.mailboxes.deleteFolder(owner.id, box.id, work.id);
    expect(await db.sql('select 1 from folder where id = $1', [work.id])).toEqual([]);
  });

  it('are deleted with their folders and email, freeing the address', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `gone@${domain.name}` });
    await db.aether.mail.deliverInbound({
      recipients: [`gone@${domain.name}`],
      message: { from: 'a@outside.test', to: [], subject: 's', body: 'b' },
    });
    await db.aether.mailboxes.delete(owner.id, box.id);
    expect(await db.sql('select count(*)::int as n from email where mailbox_id = $1', [box.id])).toEqual([{ n: 0 }]);
    expect(await db.sql('select count(*)::int as n from folder where mailbox_id = $1', [box.id])).toEqual([{ n: 0 }]);
    await db.aether.mailboxes.create(owner.id, { address: `gone@${domain.name}` });
  });
});

describe('aliases', () => {
  it('forward to mailboxes and external addresses, with a catch-all per domain', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    await db.aether.mailboxes.create(owner.id, { address: `real@${domain.name}` });
    const alias = await db.aether.aliases.add(owner.id, {
      source: `info@${domain.name}`,
      destinations: [`real@${domain.name}`, 'Friend@Outside.test'],
    });
    expect(alias).toMatchObject({ catchAll: false, destinations: [`real@${domain.name}`, 'friend@outside.test'] });
    const catchAll = await db.aether.aliases.addCatchAll(owner.id, {
      domain: domain.name,
      destinations: [`real@${domain.name}`],
    });
    expect(catchAll).toMatchObject({ address: `@${domain.name}`, catchAll: true });
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: ['x@outside.test'] }),
    );
  });

  it('never point at themselves, directly or round a cycle', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const d = domain.name;
    await expectRefused(db, 'ALIAS_LOOP', () =>
      db.aether.aliases.add(owner.id, { source: `self@${d}`, destinations: [`self@${d}`] }),
    );
    const a = await db.aether.aliases.add(owner.id, { source: `a@${d}`, destinations: [`b@${d}`] });
    await db.aether.aliases.add(owner.id, { source: `b@${d}`, destinations: [`c@${d}`, 'x@outside.test'] });
    await expectRefused(db, 'ALIAS_LOOP', () =>
      db.aether.aliases.add(owner.id, { source: `c@${d}`, destinations: [`a@${d}`] }),
    );
    // through the catch-all: unknown@d falls to the catch-all, which would lead back to a@d
    await db.aether.aliases.changeDestinations(owner.id, a.id, [`unknown@${d}`]);
    await expectRefused(db, 'ALIAS_LOOP', () =>
      db.aether.aliases.addCatchAll(owner.id, { domain: d, destinations: [`a@${d}`] }),
    );
    const rows = await db.sql<{ destinations: string[] }>('select destinations from address where id = $1', [a.id]);
    expect(rows[0]!.destinations).toEqual([`unknown@${d}`]);
  });
});
