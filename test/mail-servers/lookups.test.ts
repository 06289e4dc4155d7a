/**
 * The published lookups, read by the real servers: Postfix's pgsql: maps through `postmap -q` and
 * Dovecot's passdb and userdb through `doveadm`, logged in as the mail role, against a seeded
 * database. Skipped (loudly) where Postfix and Dovecot are not installed, unless CI requires them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import { toPgConfig } from '../../src/infrastructure/database/database-url.js';
import { grantMailRole } from '../../src/infrastructure/database/mail-role.js';
import { useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain } from '../support/world.js';
import { INSTALL_HINT, type MailServers, missingBinaries, serversRequired, startMailServers } from './servers.js';

const available = missingBinaries.length === 0;
if (!available && !serversRequired)
  console.warn(`[mail servers] skipped: ${missingBinaries.join(', ')} missing (${INSTALL_HINT})`);

const db = useTestDatabase();
// roles belong to the whole server: one of this file's own, dropped at the end
const MAIL_ROLE = { role: `aether_mail_test_${randomBytes(4).toString('hex')}`, password: 'mail-role-secret' };
const PASSWORD = 'mailbox-password-1';
let servers: MailServers | undefined;

const world = {} as {
  domain: string;
  ada: { id: string; address: string };
  bob: { address: string };
  suspended: { address: string };
  phone: string;
  mailer: string;
  revoked: string;
  unverifiedDomain: string;
  unverifiedMailbox: string;
  suspendedDomain: string;
  suspendedDomainMailbox: string;
  unicodeMailbox: string;
};

async function seed() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = async (local: string, on = domain) =>
    db.aether.mailboxes.create(owner.id, { address: `${local}@${on.name}` });
  const ada = await box('ada');
  const bob = await box('bob');
  const suspended = await box('sus');
  for (const m of [ada, bob, suspended]) await db.aether.credentials.setPassword(owner.id, m.id, PASSWORD);
  await db.aether.mailboxes.suspend(owner.id, suspended.id);
  await db.aether.aliases.add(owner.id, {
    source: `team@${domain.name}`,
    destinations: [ada.address, bob.address, 'friend@elsewhere.test'],
  });
  await db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: [bob.address] });
  const phone = await db.aether.credentials.createAppPassword(owner.id, ada.id, { name: 'Phone', protocols: ['imap'] });
  const mailer = await db.aether.credentials.createAppPassword(owner.id, ada.id, {
    name: 'Mailer',
    protocols: ['smtp'],
  });
  const revoked = await db.aether.credentials.createAppPassword(owner.id, ada.id, { name: 'Old', protocols: ['imap'] });
  await db.aether.credentials.revokeAppPassword(owner.id, ada.id, revoked.appPassword.id);

  const unverified = await ownerWithDomain(db, { verified: false });
  const unverifiedMailbox = await db.aether.mailboxes.create(unverified.owner.id, {
    address: `u@${unverified.domain.name}`,
  });
  await db.aether.credentials.setPassword(unverified.owner.id, unverifiedMailbox.id, PASSWORD);
  const off = await ownerWithDomain(db);
  const offMailbox = await db.aether.mailboxes.create(off.owner.id, { address: `s@${off.domain.name}` });
  await db.aether.credentials.setPassword(off.owner.id, offMailbox.id, PASSWORD);
  await db.aether.domains.suspend(off.owner.id, off.domain.id);
  const unicode = await ownerWithDomain(db, { name: 'bücher.example' });
  const reader = await db.aether.mailboxes.create(unicode.owner.id, { address: 'leser@bücher.example' });
  await db.aether.credentials.setPassword(unicode.owner.id, reader.id, PASSWORD);

  Object.assign(world, {
    domain: domain.name,
    ada,
    bob,
    suspended,
    phone: phone.secret,
    mailer: mailer.secret,
    revoked: revoked.secret,
    unverifiedDomain: unverified.domain.name,
    unverifiedMailbox: unverifiedMailbox.address,
    suspendedDomain: off.domain.name,
    suspendedDomainMailbox: offMailbox.address,
    unicodeMailbox: reader.address,
  });
}

beforeAll(async () => {
  if (!available) {
    if (serversRequired) throw new Error(`Postfix and Dovecot are required for these tests: ${INSTALL_HINT}`);
    return;
  }
  await seed();
  const target = db.settings.direct;
  await withAdminClient(target, (c) =>
    grantMailRole(c, { ...MAIL_ROLE, schema: target.schema, database: target.database }),
  );
  servers = await startMailServers({
    host: target.host,
    port: target.port,
    database: target.database,
    user: MAIL_ROLE.role,
    password: MAIL_ROLE.password,
    schema: target.schema,
  });
});

afterAll(async () => {
  await servers?.stop();
  if (!available) return;
  const target = db.settings.direct;
  await withAdminClient(target, (c) => c.query(`drop owned by ${c.escapeIdentifier(MAIL_ROLE.role)}`)).catch(() => {});
  await withAdminClient(
    target,
    (c) => c.query(`drop role if exists ${c.escapeIdentifier(MAIL_ROLE.role)}`),
    'postgres',
  ).catch(() => {});
});

const INJECTIONS = [`x' OR '1'='1`, `' UNION SELECT password FROM dovecot_passdb --`, `ada@x'; DROP TABLE address; --`];

describe.runIf(available || serversRequired)('Postfix reads the lookups (postmap -q)', () => {
  it('virtual_mailbox_domains: verified, active domains only; Unicode ones by their ASCII form', async () => {
    expect(await servers!.postmap('virtual-domains', world.domain)).toBe(world.domain);
    expect(await servers!.postmap('virtual-domains', world.unverifiedDomain)).toBeNull();
    expect(await servers!.postmap('virtual-domains', world.suspendedDomain)).toBeNull();
    expect(await servers!.postmap('virtual-domains', 'xn--bcher-kva.example')).toBe('xn--bcher-kva.example');
    expect(await servers!.postmap('virtual-domains', 'unknown.example')).toBeNull();
  });

  it('virtual_mailbox_maps: active mailboxes on serving domains', async () => {
    expect(await servers!.postmap('virtual-mailboxes', world.ada.address)).toBe(`${world.domain}/${world.ada.id}/`);
    expect(await servers!.postmap('virtual-mailboxes', world.suspended.address)).toBeNull();
    expect(await servers!.postmap('virtual-mailboxes', world.unverifiedMailbox)).toBeNull();
    expect(await servers!.postmap('virtual-mailboxes', world.suspendedDomainMailbox)).toBeNull();
    expect(await servers!.postmap('virtual-mailboxes', 'leser@xn--bcher-kva.example')).toMatch(
      /^xn--bcher-kva\.example\//,
    );
    expect(await servers!.postmap('virtual-mailboxes', `nobody@${world.domain}`)).toBeNull();
  });

  it('virtual_alias_maps: every destination, the catch-all, and an identity row that keeps it off mailboxes', async () => {
    const team = await servers!.postmap('virtual-aliases', `team@${world.domain}`);
    expect(team!.split(',').sort()).toEqual([world.ada.address, world.bob.address, 'friend@elsewhere.test'].sort());
    expect(await servers!.postmap('virtual-aliases', `@${world.domain}`)).toBe(world.bob.address);
    // Postfix looks the full address up before `@domain`: a mailbox resolves to itself, even a suspended one
    expect(await servers!.postmap('virtual-aliases', world.ada.address)).toBe(world.ada.address);
    expect(await servers!.postmap('virtual-aliases', world.suspended.address)).toBe(world.suspended.address);
    expect(await servers!.postmap('virtual-aliases', `nobody@${world.domain}`)).toBeNull();
    expect(await servers!.postmap('virtual-aliases', `@${world.suspendedDomain}`)).toBeNull();
  });

  it('injection attempts are only keys that match nothing', async () => {
    for (const key of INJECTIONS)
      for (const map of ['virtual-domains', 'virtual-mailboxes', 'virtual-aliases'] as const)
        expect(await servers!.postmap(map, key), `${map}: ${key}`).toBeNull();
    const [row] = await db.sql<{ n: number }>(`select count(*)::int as n from address`);
    expect(row!.n).toBeGreaterThan(0);
  });
});

describe.runIf(available || serversRequired)('Dovecot authenticates against the lookups (doveadm auth test)', () => {
  it('the mailbox password, for any mail service', async () => {
    for (const service of ['imap', 'pop3', 'smtp'])
      expect(await servers!.authTest(world.ada.address, PASSWORD, service), service).toMatchObject({ ok: true });
    expect((await servers!.authTest(world.unicodeMailbox, PASSWORD, 'imap')).ok).toBe(true);
  });

  it('an application password within its scope, and not outside it', async () => {
    expect((await servers!.authTest(world.ada.address, world.phone, 'imap')).ok).toBe(true);
    expect((await servers!.authTest(world.ada.address, world.phone, 'pop3')).ok).toBe(false);
    expect((await servers!.authTest(world.ada.address, world.mailer, 'smtp')).ok).toBe(true);
    expect((await servers!.authTest(world.ada.address, world.mailer, 'submission')).ok).toBe(true);
    expect((await servers!.authTest(world.ada.address, world.mailer, 'imap')).ok).toBe(false);
    expect((await servers!.authTest(world.ada.address, world.revoked, 'imap')).ok).toBe(false);
    // someone else's application password is no password of this mailbox
    expect((await servers!.authTest(world.bob.address, world.phone, 'imap')).ok).toBe(false);
  });

  it('refuses a wrong password, a suspended mailbox or domain, an unverified domain, an unknown address', async () => {
    expect((await servers!.authTest(world.ada.address, 'wrong-password-1', 'imap')).ok).toBe(false);
    expect((await servers!.authTest(world.suspended.address, PASSWORD, 'imap')).ok).toBe(false);
    expect((await servers!.authTest(world.suspendedDomainMailbox, PASSWORD, 'imap')).ok).toBe(false);
    expect((await servers!.authTest(world.unverifiedMailbox, PASSWORD, 'imap')).ok).toBe(false);
    expect((await servers!.authTest(`nobody@${world.domain}`, PASSWORD, 'imap')).ok).toBe(false);
    for (const attempt of INJECTIONS) {
      expect((await servers!.authTest(world.ada.address, attempt, 'imap')).ok, attempt).toBe(false);
      expect((await servers!.authTest(attempt, PASSWORD, 'imap')).ok, attempt).toBe(false);
    }
  });

  it('userdb: the home under the mail root and the quota rule', async () => {
    const user = await servers!.userdb(world.ada.address);
    expect(user).toMatchObject({
      home: `${servers!.dir}/vmail/${world.domain}/${world.ada.id}`,
      quota_rule: expect.stringMatching(/^\*:bytes=\d+$/),
    });
    expect(await servers!.userdb(world.suspended.address)).toBeNull();
  });
});

describe.runIf(available || serversRequired)('the mail role', () => {
  it('reads the views and nothing else', async () => {
    const target = db.settings.direct;
    const client = new pg.Client({ ...toPgConfig({ ...target, user: MAIL_ROLE.role, password: MAIL_ROLE.password }) });
    await client.connect();
    try {
      const schema = (await client.query(`select nspname from pg_namespace where nspname like '%_mail_v1'`)).rows[0]
        .nspname;
      await client.query(`select * from ${schema}.virtual_domains`);
      for (const table of ['address', 'mailbox_password', 'app_password', '"user"', 'login_throttle'])
        await expect(
          client.query(`select * from ${client.escapeIdentifier(target.schema)}.${table}`),
          table,
        ).rejects.toMatchObject({
          code: '42501',
        });
      await expect(client.query(`create table ${schema}.x (y int)`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.end();
    }
  });
});
