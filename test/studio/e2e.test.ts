/**
 * The studio end to end, in a real headless Chromium (playwright-core, the system's browser):
 * every step goes through the pages as a person would, and the database is checked after each.
 * Also writes the screenshots in docs/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStudio, startStudio } from '../../src/studio/server.js';
import { useTestDatabase } from '../support/test-database.js';
import { PASSWORD } from '../support/world.js';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];
const executablePath = CANDIDATES.find((path): path is string => Boolean(path && existsSync(path)));
/** In CI a missing browser fails the run; on a laptop without one the test is skipped, loudly. */
const required = Boolean(process.env.CI) || process.env.STUDIO_E2E === '1';
if (!executablePath && !required) {
  console.warn('[studio e2e] skipped: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)');
}

/**
 * Where the screenshots go: test-results/screenshots (git-ignored), so a test run leaves the tree
 * clean. `STUDIO_SCREENSHOTS_DIR=docs/screenshots npx vitest run test/studio` refreshes the README's.
 */
const SCREENSHOTS = process.env.STUDIO_SCREENSHOTS_DIR
  ? resolve(process.env.STUDIO_SCREENSHOTS_DIR)
  : fileURLToPath(new URL('../../test-results/screenshots', import.meta.url));
const HOSTILE_SUBJECT = '<img src=x onerror=alert(1)>';

const db = useTestDatabase();
let studio: RunningStudio;
let browser: Browser;

beforeAll(async () => {
  if (!executablePath) {
    if (required)
      throw new Error(
        'Chromium is required for the studio e2e test: apt-get install -y chromium, or set CHROMIUM_PATH',
      );
    return;
  }
  studio = await startStudio({ aether: db.aether, port: 0 });
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await studio?.close();
});

const count = async (sql: string, params: unknown[] = []) =>
  (await db.sql<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0]!.n;

const text = async (locator: Locator) => ((await locator.textContent()) ?? '').trim();
const texts = async (locator: Locator) => (await locator.allTextContents()).map((t) => t.trim());

/** Clicks a form's (named) submit button and waits for the page that answers. */
async function submit(page: Page, form: string, button?: string): Promise<void> {
  const scope = page.locator(`form[data-form="${form}"]`);
  const target = button
    ? scope.getByRole('button', { name: button, exact: true })
    : scope.locator('button[type=submit]').first();
  await Promise.all([page.waitForEvent('load'), target.click()]);
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!executablePath && !required)('Aether Studio in a browser', () => {
  it(
    'registers, adds and verifies a domain, creates a mailbox, delivers and reads mail, and shows a refusal',
    { timeout: 180_000 },
    async () => {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const dialogs: string[] = [];
      const problems: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        // a CSP violation, a failed load: a problem
        if (message.type() === 'error') problems.push(message.text());
      });
      const origin = new URL(studio.url).origin;

      // the token link opens a session and disappears from the address bar
      await page.goto(studio.url);
      expect(page.url()).toBe(`${origin}/`);
      expect(await text(page.locator('h1'))).toBe('Dashboard');

      // register a user
      await page.getByRole('navigation', { name: 'sections' }).getByRole('link', { name: 'Users' }).click();
      await page.fill('form[data-form="register"] input[name=email]', 'ada@example.net');
      await page.fill('form[data-form="register"] input[name=name]', 'Ada Lovelace');
      await page.fill('form[data-form="register"] input[name=password]', PASSWORD);
      await submit(page, 'register');
      expect(await text(page.locator('.notice'))).toBe('Registered ada@example.net.');
      const [ada] = await db.sql<{ id: string; name: string; password_hash: string }>(
        `select id, name, password_hash from "user" where email = 'ada@example.net'`,
      );
      expect(ada).toMatchObject({ name: 'Ada Lovelace' });
      expect(ada!.password_hash).toMatch(/^\$argon2id\$/);
      expect(page.url()).toBe(`${origin}/users/${ada!.id}`);

      // add a domain and see the exact TXT record to publish
      await page.fill('form[data-form="add-domain"] input[name=name]', 'ada.org');
      await submit(page, 'add-domain');
      const [domain] = await db.sql<{ id: string; verified: boolean; verification_token: string; owner_id: string }>(
        `select id, verified, verification_token, owner_id from domain where name = 'ada.org'`,
      );
      expect(domain).toMatchObject({ verified: false, owner_id: ada!.id });
      const txtName = await page.locator('.txt-name').textContent();
      const txtValue = await page.locator('.txt-value').textContent();
      expect(txtName).toBe('ada.org');
      expect(txtValue).toBe(`aether-verification=${domain!.verification_token}`);

      // verifying before publishing is refused; after publishing it succeeds
      await submit(page, 'domain-op', 'Verify now');
      expect(await text(page.locator('.refusal-code'))).toBe('DOMAIN_VERIFICATION_FAILED');
      expect(
        (await db.sql<{ verified: boolean }>('select verified from domain where id = $1', [domain!.id]))[0]!.verified,
      ).toBe(false);
      db.dns.publishTxt(txtName!, txtValue!);
      await submit(page, 'domain-op', 'Verify now');
      expect(await text(page.locator('.notice'))).toBe('ada.org is verified: it receives mail.');
      expect(
        (await db.sql<{ verified: boolean }>('select verified from domain where id = $1', [domain!.id]))[0]!.verified,
      ).toBe(true);

      // create mailboxes (one with a small quota, to see the bar move)
      await page.fill('form[data-form="create-mailbox"] input[name=address]', 'info@ada.org');
      await submit(page, 'create-mailbox');
      await page.goto(`${origin}/domains/${domain!.id}`);
      await page.fill('form[data-form="create-mailbox"] input[name=address]', 'alice@ada.org');
      await page.fill('form[data-form="create-mailbox"] input[name=quotaMiB]', '0.125');
      await submit(page, 'create-mailbox');
      expect(await text(page.locator('.notice'))).toBe('Created the mailbox alice@ada.org.');
      const [alice] = await db.sql<{ id: string; quota_bytes: string; kind: string }>(
        `select a.id, mu.quota_bytes, a.kind from address a join mailbox_usage mu on mu.mailbox_id = a.id where a.address = 'alice@ada.org'`,
      );
      expect(alice).toMatchObject({ kind: 'mailbox', quota_bytes: String(128 * 1024) });
      expect(await count('folder where mailbox_id = $1', [alice!.id])).toBe(6);

      // deliver messages and see them in INBOX
      const deliver = async (fields: { from: string; subject: string; body: string }) => {
        await page.goto(`${origin}/mailboxes/${alice!.id}`);
        await page.fill('form[data-form="deliver"] input[name=from]', fields.from);
        await page.fill('form[data-form="deliver"] input[name=subject]', fields.subject);
        await page.fill('form[data-form="deliver"] textarea[name=body]', fields.body);
        await submit(page, 'deliver');
        expect(await text(page.locator('.notice'))).toBe('Delivered to alice@ada.org.');
      };
      await deliver({
        from: 'charles@babbage.org',
        subject: 'The Analytical Engine',
        body: `Dear Ada,\n\n${'Notes on the engine. '.repeat(2500)}\n\nCharles`,
      });
      await deliver({
        from: 'mary@somerville.org',
        subject: 'Lecture on Thursday',
        body: 'Shall we walk there together?\n\nMary',
      });
      await deliver({
        from: 'grace@navy.mil',
        subject: 'Hello Ada',
        body: 'Hello Ada,\n\nThe first program is yours: a table of Bernoulli numbers, step by step.\n\n<b>This stays text</b>\n\nGrace',
      });
      expect(new URL(page.url()).pathname).toMatch(new RegExp(`^/mailboxes/${alice!.id}/folders/`));
      expect(await text(page.locator('h1'))).toContain('INBOX');
      expect(await texts(page.locator('table.mail .subject'))).toEqual([
        'Hello Ada',
        'Lecture on Thursday',
        'The Analytical Engine',
      ]);
      const stored = await db.sql<{ id: string; subject: string; role: string }>(
        `select e.id, e.subject, f.role from email e join folder f on f.id = e.folder_id where e.mailbox_id = $1 order by e.received_at`,
        [alice!.id],
      );
      expect(stored.map((e) => [e.subject, e.role])).toEqual([
        ['The Analytical Engine', 'inbox'],
        ['Lecture on Thursday', 'inbox'],
        ['Hello Ada', 'inbox'],
      ]);
      await shot(page, 'inbox');

      // read one: the body is text; flag it
      await page.getByRole('link', { name: 'Hello Ada' }).click();
      expect(await text(page.locator('[data-testid=email-subject]'))).toBe('Hello Ada');
      expect(await text(page.locator('[data-testid=email-body]'))).toContain('<b>This stays text</b>');
      await submit(page, 'email-op', '★ Flag');
      expect(await text(page.locator('.notice'))).toBe('Flagged.');
      const hello = stored[2]!.id;
      expect(
        (
          await db.sql<{ flagged: boolean; seen: boolean }>('select flagged, seen from email where id = $1', [hello])
        )[0],
      ).toEqual({ flagged: true, seen: false });
      await submit(page, 'email-op', 'Mark read');
      await shot(page, 'email');

      // move one to Archive, delete another (to Trash)
      await page.goto(`${origin}/mailboxes/${alice!.id}/email/${stored[1]!.id}`);
      await page.selectOption('form[data-form="email-op"] select[name=folder]', { label: 'Archive' });
      await submit(page, 'email-op', 'Move');
      expect(await text(page.locator('.notice'))).toBe('Moved to Archive.');
      await submit(page, 'email-op', 'Delete (to Trash)');
      expect(await text(page.locator('.notice'))).toBe('Moved to Trash.');
      const folders = await db.sql<{ subject: string; role: string }>(
        `select e.subject, f.role from email e join folder f on f.id = e.folder_id where e.mailbox_id = $1 order by e.received_at`,
        [alice!.id],
      );
      expect(folders.map((e) => e.role)).toEqual(['inbox', 'trash', 'inbox']);

      // a hostile subject and body are shown as text: no dialog, no script, the literal text
      await deliver({
        from: 'eve@example.net',
        subject: HOSTILE_SUBJECT,
        body: '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
      });
      expect(await text(page.locator('table.mail .subject').first())).toBe(HOSTILE_SUBJECT);
      await page.locator('table.mail .subject a').first().click();
      expect(await text(page.locator('[data-testid=email-subject]'))).toBe(HOSTILE_SUBJECT);
      expect(await text(page.locator('[data-testid=email-body]'))).toBe(
        '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>',
      );
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(dialogs).toEqual([]);

      // a second user with a domain; the first may not create a mailbox on it: NOT_OWNER, nothing written
      await page.goto(`${origin}/users`);
      await page.fill('form[data-form="register"] input[name=email]', 'bob@example.net');
      await page.fill('form[data-form="register"] input[name=password]', PASSWORD);
      await submit(page, 'register');
      await page.fill('form[data-form="add-domain"] input[name=name]', 'bob.test');
      await submit(page, 'add-domain');
      const addressesBefore = await count('address');
      await page.fill('form[data-form="create-mailbox"] input[name=address]', 'intruder@bob.test');
      await page.selectOption('form[data-form="create-mailbox"] select[name=actor]', { label: 'ada@example.net' });
      await submit(page, 'create-mailbox');
      // post/redirect/get: the refusal is shown on the domain's own page, reached by a GET
      const bobDomainPage = page.url();
      expect(new URL(bobDomainPage).pathname).toMatch(/^\/domains\//);
      const refusal = page.locator('form[data-form="create-mailbox"] .refusal');
      expect(await text(refusal.locator('.refusal-code'))).toBe('NOT_OWNER');
      expect(await text(refusal.locator('.refusal-message'))).toBe('only the owner of bob.test may manage it');
      expect(await page.locator('form[data-form="create-mailbox"] input[name=address]').inputValue()).toBe(
        'intruder@bob.test',
      );
      expect(await count('address')).toBe(addressesBefore);
      expect(await count(`address where address like '%@bob.test'`)).toBe(0);
      await shot(page, 'refusal');
      // a reload asks nothing and posts nothing: the page is a GET; the refusal was shown once
      const posts: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST') posts.push(r.url());
      });
      await page.reload();
      expect(posts).toEqual([]);
      expect(page.url()).toBe(bobDomainPage);
      expect(await page.locator('.refusal').count()).toBe(0);
      expect(await count('address')).toBe(addressesBefore);

      // an alias and a catch-all, and mail for an unknown address lands where the catch-all sends it
      await page.goto(`${origin}/domains/${domain!.id}`);
      await page.fill('form[data-form="add-alias"] input[name=source]', 'hello@ada.org');
      await page.fill('form[data-form="add-alias"] input[name=destinations]', 'alice@ada.org');
      await submit(page, 'add-alias');
      expect(await text(page.locator('.notice'))).toBe('hello@ada.org now forwards to alice@ada.org.');
      await page.fill('form[data-form="add-catch-all"] input[name=destinations]', 'info@ada.org');
      await submit(page, 'add-catch-all');
      expect(await text(page.locator('.notice'))).toBe('The catch-all of ada.org forwards to info@ada.org.');
      expect(await db.sql(`select address, destinations from address where kind = 'alias' order by address`)).toEqual([
        { address: '@ada.org', destinations: ['info@ada.org'] },
        { address: 'hello@ada.org', destinations: ['alice@ada.org'] },
      ]);
      await page.goto(`${origin}/mailboxes/${alice!.id}`);
      await page.fill('form[data-form="deliver"] input[name=to]', 'anyone@ada.org');
      await page.fill('form[data-form="deliver"] input[name=subject]', 'Order confirmation');
      await submit(page, 'deliver');
      expect(await text(page.locator('.notice'))).toBe('Delivered to info@ada.org.');
      expect(await count(`email e join address a on a.id = e.mailbox_id where a.address = 'info@ada.org'`)).toBe(1);
      await page.goto(`${origin}/domains/${domain!.id}`);
      await shot(page, 'domain');

      // the other main pages, for the README
      await page.goto(`${origin}/`);
      expect(await text(page.locator('.stat-value').first())).toBe('2');
      await shot(page, 'dashboard');
      await page.goto(`${origin}/schema`);
      expect(await page.locator('svg.erd').isVisible()).toBe(true);
      expect(await page.locator('svg.erd #erd-email').count()).toBe(1);
      await shot(page, 'schema');

      expect(dialogs).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    },
  );

  it(
    'shows and finds Unicode names, deletes for good after a confirmation, lets another browser in, and fits 390 px',
    { timeout: 180_000 },
    async () => {
      const { users, domains, mailboxes, mail } = db.aether;
      const reader = await users.register({ email: 'leser@bücher.example', password: PASSWORD, name: 'Leser' });
      const bücher = await domains.add(reader.id, { name: 'bücher.example' });
      db.dns.publishTxt(bücher.verificationRecord.name, bücher.verificationRecord.value);
      await domains.verify(reader.id, bücher.id);
      const mailbox = await mailboxes.create(reader.id, { address: 'leser@bücher.example' });
      await mailboxes.create(reader.id, { address: 'archiv@bücher.example' });
      await mail.deliverInbound({
        recipients: ['leser@bücher.example'],
        message: { from: 'autor@bücher.example', to: ['leser@bücher.example'], subject: 'Neue Bücher', body: 'Hallo' },
      });
      expect(await db.sql<{ address: string }>(`select address from address where address like 'leser@%'`)).toEqual([
        { address: 'leser@xn--bcher-kva.example' },
      ]);

      const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && !message.text().includes('status of 401')) problems.push(message.text());
      });
      const origin = new URL(studio.url).origin;

      // a browser without a session gets the styled sign-in page, which says how to get in
      const refusedResponse = await page.goto(`${origin}/`);
      expect(refusedResponse?.status()).toBe(401);
      expect(await text(page.locator('h1'))).toBe('Not signed in');
      expect(await text(page.locator('main'))).toContain('Let another browser in');
      expect(await page.evaluate('getComputedStyle(document.documentElement).backgroundColor')).toBe(
        'rgb(246, 247, 251)',
      );
      expect(await page.locator('main .card').count()).toBe(1);
      await shot(page, 'sign-in');

      // a one-time link from the running studio (what a signed-in browser's "Let another browser in" makes)
      await page.goto(studio.issueLink());
      expect(page.url()).toBe(`${origin}/`);
      expect(await text(page.locator('h1'))).toBe('Dashboard');
      expect(await text(page.locator('main'))).not.toContain('xn--');

      // search finds bücher typed in Unicode and in punycode alike, and shows it in Unicode
      const rows = async (path: string) => {
        await page.goto(`${origin}${path}`);
        return texts(page.locator('main table tbody tr td:first-child'));
      };
      for (const q of ['bücher', 'BÜCHER.example', 'xn--bcher-kva']) {
        expect(await rows(`/domains?q=${encodeURIComponent(q)}`), q).toEqual(['bücher.example']);
        expect(await rows(`/mailboxes?q=${encodeURIComponent(q)}`), q).toEqual([
          'archiv@bücher.example',
          'leser@bücher.example',
        ]);
        expect(await rows(`/users?q=${encodeURIComponent(q)}`), q).toEqual(['leser@bücher.example']);
        expect(await rows(`/aliases?q=${encodeURIComponent(q)}`), q).toEqual([]);
      }
      expect(await rows(`/mailboxes?q=${encodeURIComponent('leser@bücher')}`)).toEqual(['leser@bücher.example']);
      await page.goto(`${origin}/mailboxes?q=${encodeURIComponent('bücher')}`);
      await shot(page, 'search-unicode');

      // domains are listed in the order people read their names: bücher beside buch, not after bz
      for (const name of ['bz.example', 'buch.example']) await domains.add(reader.id, { name });
      expect(await rows(`/domains?owner=${reader.id}`)).toEqual(['buch.example', 'bücher.example', 'bz.example']);
      await shot(page, 'domains-unicode-order');

      // every page shows the addresses in Unicode
      await page.goto(`${origin}/mailboxes/${mailbox.id}`);
      expect(await text(page.locator('h1'))).toBe('leser@bücher.example');
      expect(await text(page.locator('main'))).not.toContain('xn--');
      await page.goto(`${origin}/email?q=${encodeURIComponent('bücher')}`);
      expect(await texts(page.locator('table.mail td.from'))).toEqual(['autor@bücher.example']);
      expect(await text(page.locator('main'))).not.toContain('xn--');
      await page.goto(`${origin}/users/${reader.id}`);
      expect(await text(page.locator('main'))).not.toContain('xn--');

      // delete an email for good: the button does nothing until the box is ticked; then the quota is freed
      const [stored] = await db.sql<{ id: string; folder_id: string }>(
        'select id, folder_id from email where mailbox_id = $1',
        [mailbox.id],
      );
      await page.goto(`${origin}/mailboxes/${mailbox.id}/email/${stored!.id}`);
      const purge = page.locator('form[data-form="purge-email"]');
      await purge.getByRole('button', { name: 'Delete for good' }).click();
      expect(await purge.locator('input[name=confirm]:invalid').count()).toBe(1); // the browser asks for the box
      expect(page.url()).toBe(`${origin}/mailboxes/${mailbox.id}/email/${stored!.id}`);
      expect(await count('email where id = $1', [stored!.id])).toBe(1);
      await purge.locator('input[name=confirm]').check();
      await shot(page, 'purge-confirm');
      await submit(page, 'purge-email');
      expect(await text(page.locator('.notice'))).toMatch(/^Deleted for good; .+ of quota freed\.$/);
      expect(page.url()).toBe(`${origin}/mailboxes/${mailbox.id}/folders/${stored!.folder_id}`);
      expect(await count('email where id = $1', [stored!.id])).toBe(0);
      expect(
        (
          await db.sql<{ used_bytes: string }>('select used_bytes from mailbox_usage where mailbox_id = $1', [
            mailbox.id,
          ])
        )[0],
      ).toEqual({ used_bytes: '0' });

      // delete a mailbox, confirmed; then rename the user
      await page.goto(`${origin}/mailboxes/${mailbox.id}`);
      await page.locator('form[data-form="delete-mailbox"] input[name=confirm]').check();
      await submit(page, 'delete-mailbox');
      expect(await text(page.locator('.notice'))).toBe(
        'Deleted the mailbox leser@bücher.example with its folders and email.',
      );
      expect(page.url()).toBe(`${origin}/domains/${bücher.id}`);
      expect(await count('address where id = $1', [mailbox.id])).toBe(0);
      await page.locator('form[data-form="delete-domain"] input[name=confirm]').check();
      await shot(page, 'delete-confirm');
      await submit(page, 'delete-domain');
      expect(await text(page.locator('.notice'))).toBe('Deleted bücher.example with its mailboxes, aliases and email.');
      expect(page.url()).toBe(`${origin}/users/${reader.id}`);
      expect(await count('domain where id = $1', [bücher.id])).toBe(0);
      expect(await count('address where domain_id = $1', [bücher.id])).toBe(0);
      await page.goto(`${origin}/users/${reader.id}`);
      await page.fill('form[data-form="rename-user"] input[name=name]', 'Die Leserin');
      await submit(page, 'rename-user');
      expect(await text(page.locator('.notice'))).toBe('leser@bücher.example is now called Die Leserin.');
      expect((await db.sql('select name from "user" where id = $1', [reader.id]))[0]).toEqual({ name: 'Die Leserin' });
      await shot(page, 'user');

      // let another browser in, from the page footer: the link opens a second session once
      await page.getByRole('link', { name: 'Let another browser in' }).click();
      await submit(page, 'issue-link');
      const link = await text(page.locator('[data-testid=issued-link]'));
      expect(link).toMatch(new RegExp(`^${origin}/\\?token=`));
      await shot(page, 'access');
      const second = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
      const phone = await second.newPage();
      await phone.goto(link);
      expect(phone.url()).toBe(`${origin}/`);
      expect(await text(phone.locator('h1'))).toBe('Dashboard');
      await page.reload();
      expect(await text(page.locator('h1'))).toBe('Let another browser in'); // the first stays signed in

      // at 390 px the navigation is whole: every section reachable, nothing wider than the screen
      const nav = phone.getByRole('navigation', { name: 'sections' });
      for (const section of ['Users', 'Domains', 'Mailboxes', 'Aliases', 'Email', 'Schema']) {
        await nav.getByRole('link', { name: section, exact: true }).click();
        expect(await text(phone.locator('h1'))).toBe(section);
        if (section !== 'Schema') {
          const wide = await phone.evaluate<string>(
            `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 392 && !e.closest('table, nav')).slice(0, 8).map((e) => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).join(' ')`,
          );
          expect(
            await phone.evaluate<number>('document.documentElement.scrollWidth'),
            `${section}: ${wide}`,
          ).toBeLessThanOrEqual(390);
        }
      }
      await phone.goto(`${origin}/users`);
      await shot(phone, 'narrow-390');
      const again = await (await browser.newContext()).newPage();
      expect((await again.goto(link))?.status()).toBe(401);

      expect(problems).toEqual([]);
      await second.close();
      await context.close();
    },
  );
});
