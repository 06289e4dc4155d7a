import { describe, expect, it } from 'vitest';
import { PRUNED_PER_ATTEMPT } from '../../src/application/login-throttle.js';
import { MailboxCredentialService } from '../../src/application/mailbox-credential-service.js';
import { AppPassword } from '../../src/domain/app-password.js';
import type { LoginThrottlePolicy } from '../../src/domain/login-throttle.js';
import { MailboxPassword } from '../../src/domain/mailbox-password.js';
import { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import { digestRows } from '../support/digest.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { CountingHasher } from '../support/counting-hasher.js';
import { fastHasher, useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain, registerUser } from '../support/world.js';

const db = useTestDatabase();
const MAILBOX_PASSWORD = 'mailbox-secret-password';
const LIMIT = 3;

/** A service of its own with a small limit and a counting hasher, on the same database. */
function credentials(policy: LoginThrottlePolicy = { limit: LIMIT, windowSeconds: 600 }) {
  const hasher = new CountingHasher();
  return { hasher, service: new MailboxCredentialService(db.aether.unitOfWork, hasher, policy) };
}

async function mailboxWithPassword(options: { verified?: boolean } = {}) {
  const { owner, domain } = await ownerWithDomain(db, options);
  const mailbox = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
  await db.aether.credentials.setPassword(owner.id, mailbox.id, MAILBOX_PASSWORD);
  return { owner, domain, mailbox };
}

/** Every table but the throttle's: a refused login writes nothing else. */
async function digestBesidesThrottle() {
  const { login_throttle: _counted, ...rest } = await digestRows(db);
  return rest;
}

/** The login.throttled events recorded for a mailbox. */
const throttledEvents = (mailboxId: string) =>
  db.sql<{ tenant_id: string; ordering_key: string; data: Record<string, unknown> }>(
    `select tenant_id, ordering_key, data from outbox_event where kind = 'login.throttled' and data->>'mailboxId' = $1`,
    [mailboxId],
  );

async function throttleRow(address: string) {
  const [row] = await db.sql<{ attempts: number }>('select attempts from login_throttle where address = $1', [address]);
  return row?.attempts ?? null;
}

describe('mailbox passwords', () => {
  it('are set and reset by the domain owner only, stored as argon2id and never shown', async () => {
    const { owner, mailbox } = await mailboxWithPassword();
    const [row] = await db.sql<{ hash: string }>('select hash from mailbox_password where mailbox_id = $1', [
      mailbox.id,
    ]);
    expect(row!.hash).toMatch(/^\$argon2id\$v=19\$/);
    const login = await db.aether.credentials.authenticate({
      address: mailbox.address.toUpperCase(),
      secret: MAILBOX_PASSWORD,
      protocol: 'imap',
      remoteAddress: '192.0.2.1',
    });
    expect(login).toMatchObject({ mailbox: { id: mailbox.id }, credential: 'password', appPasswordId: null });
    expect(JSON.stringify(login)).not.toContain('argon2');

    const stranger = await registerUser(db);
    await expectRefused(db, 'NOT_OWNER', () =>
      db.aether.credentials.setPassword(stranger.id, mailbox.id, 'another-long-password'),
    );
    await expectRefused(db, 'INVALID_PASSWORD', () => db.aether.credentials.setPassword(owner.id, mailbox.id, 'short'));
    await expectRefused(db, 'INVALID_PASSWORD', () =>
      db.aether.credentials.setPassword(owner.id, mailbox.id, `ap-abcdefghij-${'a'.repeat(32)}`),
    );

    await db.aether.credentials.setPassword(owner.id, mailbox.id, 'the-new-mailbox-password');
    const rows = await db.sql<{ hash: string }>('select hash from mailbox_password where mailbox_id = $1', [
      mailbox.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hash).not.toBe(row!.hash);
    await expect(
      db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'imap' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('two concurrent resets leave exactly one password row', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `race@${domain.name}` });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        outcome(db.aether.credentials.setPassword(owner.id, mailbox.id, `password-number-${i}`)),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const [row] = await db.sql<{ n: number }>('select count(*)::int as n from mailbox_password where mailbox_id = $1', [
      mailbox.id,
    ]);
    expect(row!.n).toBe(1);
  });

  it('a hash made with older parameters is replaced on a successful login', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `old@${domain.name}` });
    const weak = new MailboxCredentialService(
      db.aether.unitOfWork,
      new Argon2PasswordHasher({ memoryCost: 512, timeCost: 1 }),
    );
    await weak.setPassword(owner.id, mailbox.id, MAILBOX_PASSWORD);
    await db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'pop3' });
    const [row] = await db.sql<{ hash: string }>('select hash from mailbox_password where mailbox_id = $1', [
      mailbox.id,
    ]);
    expect(row!.hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });

  it('a reset committed while a login rehashes wins, and the login still succeeds', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `reset@${domain.name}` });
    const weak = new MailboxCredentialService(
      db.aether.unitOfWork,
      new Argon2PasswordHasher({ memoryCost: 512, timeCost: 1 }),
    );
    await weak.setPassword(owner.id, mailbox.id, MAILBOX_PASSWORD);
    const resetHash = await fastHasher.hash('the-password-after-the-reset');
    // the owner's reset, uncommitted: the login's rehash waits on the row, then finds a newer version
    const reset = await hold(db, [
      [`update mailbox_password set hash = $1, version = version + 1 where mailbox_id = $2`, [resetHash, mailbox.id]],
    ]);
    const login = outcome(
      db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'imap' }),
    );
    await waitForLockWaiters(db, 1);
    await reset.commit();
    expect(await login).toMatchObject({ ok: true });
    const [row] = await db.sql<{ hash: string }>('select hash from mailbox_password where mailbox_id = $1', [
      mailbox.id,
    ]);
    expect(row!.hash).toBe(resetHash);
  });

  it('go with their mailbox: deleting it deletes its password and application passwords', async () => {
    const { owner, mailbox } = await mailboxWithPassword();
    await db.aether.credentials.createAppPassword(owner.id, mailbox.id, { name: 'Phone', protocols: ['imap'] });
    await db.aether.mailboxes.delete(owner.id, mailbox.id);
    for (const table of ['mailbox_password', 'app_password'])
      expect(await db.sql(`select 1 from ${table} where mailbox_id = $1`, [mailbox.id]), table).toEqual([]);
    await expect(
      db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'imap' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });
});

describe('application passwords', () => {
  it('are shown once, scoped, recorded when used, revocable, and checked with one hash', async () => {
    const { owner, mailbox } = await mailboxWithPassword();
    const created = await db.aether.credentials.createAppPassword(owner.id, mailbox.id, {
      name: 'Phone',
      protocols: ['smtp', 'imap'],
    });
    expect(created.secret).toMatch(/^ap-[a-z2-7]{10}-[a-z2-7]{32}$/);
    expect(created.secret.slice(3, 13)).toBe(created.appPassword.selector);
    expect(created.appPassword).toMatchObject({ name: 'Phone', protocols: ['imap', 'smtp'], lastUsedAt: null });
    const [stored] = await db.sql<{ hash: string }>('select hash from app_password where id = $1', [
      created.appPassword.id,
    ]);
    expect(stored!.hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(await db.sql('select * from app_password'))).not.toContain(created.secret);
    const listed = await db.aether.credentials.listAppPasswords(owner.id, mailbox.id);
    expect(listed).toEqual([created.appPassword]);
    expect(JSON.stringify(listed)).not.toMatch(/argon2|ap-[a-z2-7]{10}-/);

    // several application passwords: a login still checks exactly one hash
    for (const name of ['Laptop', 'Backup', 'Tablet'])
      await db.aether.credentials.createAppPassword(owner.id, mailbox.id, { name, protocols: ['imap'] });
    const { hasher, service } = credentials();
    const login = await service.authenticate({
      address: mailbox.address,
      secret: created.secret,
      protocol: 'imap',
      remoteAddress: '2001:db8::7',
    });
    expect(login).toMatchObject({ credential: 'app-password', appPasswordId: created.appPassword.id });
    expect(hasher.verifies + hasher.dummyVerifies).toBe(1);
    const [used] = await db.sql<{ last_used_at: Date; last_used_from: string }>(
      'select last_used_at, last_used_from from app_password where id = $1',
      [created.appPassword.id],
    );
    expect(used!.last_used_from).toBe('2001:db8::7');
    expect(used!.last_used_at).toBeInstanceOf(Date);

    // out of scope, and the mailbox password with the app password's shape: refused alike
    const before = await digestBesidesThrottle();
    await expect(
      service.authenticate({ address: mailbox.address, secret: created.secret, protocol: 'pop3' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await digestBesidesThrottle()).toEqual(before);

    await expectRefused(db, 'APP_PASSWORD_NAME_TAKEN', () =>
      db.aether.credentials.createAppPassword(owner.id, mailbox.id, { name: 'PHONE', protocols: ['imap'] }),
    );
    await expectRefused(db, 'INVALID_PROTOCOL', () =>
      db.aether.credentials.createAppPassword(owner.id, mailbox.id, { name: 'x', protocols: ['ftp' as 'imap'] }),
    );
    await expectRefused(db, 'INVALID_EXPIRY', () =>
      db.aether.credentials.createAppPassword(owner.id, mailbox.id, {
        name: 'Old',
        protocols: ['imap'],
        expiresAt: new Date(Date.now() - 1000),
      }),
    );
    const stranger = await registerUser(db);
    await expectRefused(db, 'NOT_OWNER', () =>
      db.aether.credentials.createAppPassword(stranger.id, mailbox.id, { name: 'Mine', protocols: ['imap'] }),
    );

    const revoked = await db.aether.credentials.revokeAppPassword(owner.id, mailbox.id, created.appPassword.id);
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    await expect(
      service.authenticate({ address: mailbox.address, secret: created.secret, protocol: 'imap' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    // a revoked name is free again
    await db.aether.credentials.createAppPassword(owner.id, mailbox.id, { name: 'Phone', protocols: ['imap'] });
  });

  it('an expired application password is refused', async () => {
    const { owner, mailbox } = await mailboxWithPassword();
    const { secret, appPassword } = await db.aether.credentials.createAppPassword(owner.id, mailbox.id, {
      name: 'Short-lived',
      protocols: ['imap'],
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await db.aether.credentials.authenticate({ address: mailbox.address, secret, protocol: 'imap' });
    await db.sql(
      `update app_password set created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' where id = $1`,
      [appPassword.id],
    );
    await expect(
      db.aether.credentials.authenticate({ address: mailbox.address, secret, protocol: 'imap' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('row-level security shows a unit of work confined to a user only that user’s credentials', async () => {
    const mine = await mailboxWithPassword();
    const theirs = await mailboxWithPassword();
    for (const { owner, mailbox } of [mine, theirs])
      await db.aether.credentials.createAppPassword(owner.id, mailbox.id, { name: 'Phone', protocols: ['imap'] });
    const seen = await db.aether.unitOfWork(
      async (em) => ({
        passwords: (await em.find(MailboxPassword, {})).map((p) => p.mailbox.id),
        appPasswords: (await em.find(AppPassword, {})).map((p) => p.mailbox.id),
      }),
      { actingUserId: mine.owner.id },
    );
    expect(seen).toEqual({ passwords: [mine.mailbox.id], appPasswords: [mine.mailbox.id] });
  });

  it('the database refuses credentials of an alias (by key, not trigger) and unknown protocols', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const target = await db.aether.mailboxes.create(owner.id, { address: `t@${domain.name}` });
    const alias = await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: [target.address] });
    const [hash] = await db.sql<{ hash: string }>(`select hash from mailbox_password limit 1`);
    const before = await digestRows(db);
    await expect(
      db.sql(
        `insert into mailbox_password (id, mailbox_id, owner_id, hash, changed_at)
         values (gen_random_uuid(), $1, (select owner_id from address where id = $1), $2, now())`,
        [alias.id, hash?.hash ?? '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo'],
      ),
    ).rejects.toMatchObject({ code: '23503', constraint: 'mailbox_password_mailbox_kind_foreign' });
    await expect(
      db.sql(
        `insert into app_password (id, mailbox_id, owner_id, name, selector, hash, protocols, created_at)
         values (gen_random_uuid(), $1, (select owner_id from address where id = $1), 'x', 'abcdefghij', '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', '{imap}', now())`,
        [alias.id],
      ),
    ).rejects.toMatchObject({ code: '23503', constraint: 'app_password_mailbox_kind_foreign' });
    // the column says 'mailbox' whatever a writer asks for
    await expect(
      db.sql(
        `insert into app_password (id, mailbox_id, owner_id, name, selector, hash, protocols, created_at, mailbox_kind)
         values (gen_random_uuid(), $1, (select owner_id from address where id = $1), 'x', 'abcdefghij', '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', '{imap}', now(), 'alias')`,
        [alias.id],
      ),
    ).rejects.toMatchObject({ code: '428C9' });
    expect(await digestRows(db)).toEqual(before);
    // and the domain refuses them with a typed error before the database sees them
    await expectRefused(db, 'NOT_FOUND', () => db.aether.credentials.setPassword(owner.id, alias.id, MAILBOX_PASSWORD));
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.credentials.createAppPassword(owner.id, alias.id, { name: 'Phone', protocols: ['imap'] }),
    );
    await expect(
      db.sql(
        `insert into app_password (id, mailbox_id, owner_id, name, selector, hash, protocols, created_at)
         values (gen_random_uuid(), $1, (select owner_id from address where id = $1), 'x', 'abcdefghij', '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA', '{ftp}', now())`,
        [target.id],
      ),
    ).rejects.toMatchObject({ constraint: 'app_password_protocols' });
  });
});

describe('mailbox logins', () => {
  it('refuse suspended mailboxes, domains and owners, and unverified domains, only with the right secret', async () => {
    const { owner, domain, mailbox } = await mailboxWithPassword();
    const login = () =>
      db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'imap' });
    await db.aether.mailboxes.suspend(owner.id, mailbox.id);
    await expect(login()).rejects.toMatchObject({ code: 'MAILBOX_SUSPENDED' });
    await expect(
      db.aether.credentials.authenticate({ address: mailbox.address, secret: 'wrong-password!', protocol: 'imap' }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await db.aether.mailboxes.activate(owner.id, mailbox.id);
    await db.aether.domains.suspend(owner.id, domain.id);
    await expect(login()).rejects.toMatchObject({ code: 'DOMAIN_SUSPENDED' });
    await db.aether.domains.activate(owner.id, domain.id);
    await db.aether.users.suspend(owner.id);
    await expect(login()).rejects.toMatchObject({ code: 'USER_SUSPENDED' });
    await db.aether.users.activate(owner.id);
    await login();

    const unverified = await mailboxWithPassword({ verified: false });
    await expect(
      db.aether.credentials.authenticate({
        address: unverified.mailbox.address,
        secret: MAILBOX_PASSWORD,
        protocol: 'smtp',
      }),
    ).rejects.toMatchObject({ code: 'DOMAIN_NOT_VERIFIED' });
  });

  it('do the same hashing work for unknown addresses, and write nothing but the attempt', async () => {
    const { hasher, service } = credentials();
    const before = await digestBesidesThrottle();
    for (const address of ['nobody@nowhere.example', 'not an address'])
      await expect(service.authenticate({ address, secret: 'whatever-it-is', protocol: 'imap' })).rejects.toMatchObject(
        {
          code: 'INVALID_CREDENTIALS',
        },
      );
    expect(hasher.dummyVerifies).toBe(2);
    expect(hasher.verifies).toBe(0);
    expect(await digestBesidesThrottle()).toEqual(before);
    expect(await throttleRow('nobody@nowhere.example')).toBe(1);
    await expectRefused(db, 'INVALID_PROTOCOL', () =>
      service.authenticate({ address: 'nobody@nowhere.example', secret: 'x', protocol: 'gopher' as 'imap' }),
    );
  });

  it('never put a hash or a secret into the SQL log or an error', async () => {
    const { owner, mailbox } = await mailboxWithPassword();
    db.queries.length = 0;
    await db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'imap' });
    const wrong = await outcome(
      db.aether.credentials.authenticate({ address: mailbox.address, secret: 'wrong-secret', protocol: 'imap' }),
    );
    await db.aether.mailboxes.suspend(owner.id, mailbox.id);
    const suspended = await outcome(
      db.aether.credentials.authenticate({ address: mailbox.address, secret: MAILBOX_PASSWORD, protocol: 'imap' }),
    );
    expect(db.queries.length).toBeGreaterThan(0);
    expect(db.queries.join('\n')).not.toMatch(/argon2|mailbox-secret|wrong-secret/);
    for (const refused of [wrong, suspended]) {
      expect(refused.ok).toBe(false);
      const error = (refused as { error: Error }).error;
      expect(`${error.message} ${JSON.stringify(error)} ${String(error.stack)}`).not.toMatch(
        /argon2|mailbox-secret|wrong-secret/,
      );
    }
  });
});

describe('login throttling', () => {
  it(`refuses with LOGIN_THROTTLED after ${LIMIT} attempts in the window, even the right password, until it passes`, async () => {
    const { owner, mailbox } = await mailboxWithPassword();
    const { hasher, service } = credentials();
    const attempt = (secret: string) =>
      outcome(service.authenticate({ address: mailbox.address, secret, protocol: 'imap' }));
    for (let i = 0; i < LIMIT; i++)
      expect(await attempt('wrong-password')).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await attempt(MAILBOX_PASSWORD)).toMatchObject({ code: 'LOGIN_THROTTLED' });
    expect(await attempt('wrong-password')).toMatchObject({ code: 'LOGIN_THROTTLED' });
    expect(hasher.verifies).toBe(LIMIT);
    // the first refusal of the window records login.throttled for the mailbox's owner, the later ones do not
    const events = await throttledEvents(mailbox.id);
    expect(events).toEqual([
      {
        tenant_id: owner.id,
        ordering_key: owner.id,
        data: { address: mailbox.address, mailboxId: mailbox.id, limit: LIMIT, windowSeconds: 600 },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('wrong-password');
    // the window passes (moved back on the database's clock, which the throttle runs on)
    await db.sql(`update login_throttle set window_started_at = now() - interval '601 seconds' where address = $1`, [
      mailbox.address,
    ]);
    expect(await attempt(MAILBOX_PASSWORD)).toMatchObject({ ok: true });
    expect(await throttleRow(mailbox.address)).toBeNull(); // a success closes the window
    expect(await attempt('wrong-password')).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(await throttleRow(mailbox.address)).toBe(1);
  });

  it('attempts remove the rows of windows that ended, a few at a time', async () => {
    await db.sql(
      `insert into login_throttle (address, window_started_at, attempts)
       select 'stale-' || i || '@old.example', now() - interval '700 seconds', 1 from generate_series(1, $1::int) i`,
      [PRUNED_PER_ATTEMPT + 5],
    );
    const { service } = credentials();
    const stale = async () =>
      (await db.sql<{ n: number }>(`select count(*)::int as n from login_throttle where address like 'stale-%'`))[0]!.n;
    const attempt = () =>
      service.authenticate({ address: 'someone@new.example', secret: 'x', protocol: 'imap' }).catch(() => {});
    await attempt();
    expect(await stale()).toBe(5);
    await attempt();
    expect(await stale()).toBe(0);
    expect(await throttleRow('someone@new.example')).toBe(2);
  });

  it('a burst of parallel bad logins checks at most the limit of passwords', async () => {
    const { mailbox } = await mailboxWithPassword();
    const { hasher, service } = credentials();
    const results = await Promise.all(
      Array.from({ length: 16 }, () =>
        outcome(service.authenticate({ address: mailbox.address, secret: 'guess-guess-guess', protocol: 'imap' })),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'ok' : r.code));
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(LIMIT);
    expect(codes.filter((c) => c === 'LOGIN_THROTTLED')).toHaveLength(16 - LIMIT);
    expect(hasher.verifies).toBe(LIMIT);
    // the count stops one past the first refusal: enough to tell that refusal from the later ones
    expect(await throttleRow(mailbox.address)).toBe(LIMIT + 2);
    // one login.throttled for the window, however many guesses it refused
    expect(await throttledEvents(mailbox.id)).toHaveLength(1);
  });

  it('two attempts waiting on the same counter: exactly one gets the last slot', async () => {
    const { mailbox } = await mailboxWithPassword();
    const { hasher, service } = credentials();
    await db.sql(`insert into login_throttle (address, window_started_at, attempts) values ($1, now(), $2)`, [
      mailbox.address,
      LIMIT - 1,
    ]);
    const held = await hold(db, [
      [`update login_throttle set attempts = attempts where address = $1`, [mailbox.address]],
    ]);
    const attempts = [1, 2].map(() =>
      outcome(service.authenticate({ address: mailbox.address, secret: 'guess-guess-guess', protocol: 'imap' })),
    );
    await waitForLockWaiters(db, 2);
    await held.commit();
    const codes = (await Promise.all(attempts)).map((r) => (r.ok ? 'ok' : r.code)).sort();
    expect(codes).toEqual(['INVALID_CREDENTIALS', 'LOGIN_THROTTLED']);
    expect(hasher.verifies).toBe(1);
  });
});
