import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStudio, startStudio } from '../../src/studio/server.js';
import { SESSION_IDLE_MS, SessionStore } from '../../src/studio/session.js';
import { useTestDatabase } from '../support/test-database.js';
import { type Session, originOf, signIn } from './client.js';
import { PASSWORD } from '../support/world.js';
import { buildWorld } from './world.js';

const db = useTestDatabase();
let studio: RunningStudio;
let world: Awaited<ReturnType<typeof buildWorld>>;
let session: Session;

beforeAll(async () => {
  world = await buildWorld(db);
  studio = await startStudio({ aether: db.aether, port: 0 });
  session = await signIn(studio);
});
afterAll(async () => {
  await studio?.close();
});

const userCount = async () => (await db.sql<{ n: number }>('select count(*)::int as n from "user"'))[0]!.n;
const addressCount = async () => (await db.sql<{ n: number }>('select count(*)::int as n from address'))[0]!.n;

describe('the studio without its token', () => {
  it('refuses every page, the stylesheet and every form, and shows no data', async () => {
    const origin = originOf(studio);
    const paths = [
      '/',
      '/users',
      `/users/${world.ada.id}`,
      '/domains',
      `/mailboxes/${world.alice.id}`,
      '/email',
      '/schema',
      '/access',
      '/nope',
    ];
    for (const path of paths) {
      const response = await fetch(`${origin}${path}`, { redirect: 'manual' });
      const body = await response.text();
      expect(response.status, path).toBe(401);
      expect(body).not.toContain('ada@example.net');
      expect(body).not.toContain('address');
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    const before = await userCount();
    const post = await fetch(`${origin}/users`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'mallory@example.net', password: PASSWORD }).toString(),
    });
    expect(post.status).toBe(401);
    expect(await userCount()).toBe(before);
  });

  it('refuses a wrong token and a forged session cookie', async () => {
    const origin = originOf(studio);
    const wrong = await fetch(`${origin}/?token=${'A'.repeat(43)}`, { redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const cookieName = session.cookie.split('=')[0];
    const forged = await fetch(`${origin}/users`, { headers: { cookie: `${cookieName}=forged` }, redirect: 'manual' });
    expect(forged.status).toBe(401);
  });

  it('trades the token, once, for an HttpOnly, SameSite=Strict cookie and strips it from the URL', async () => {
    const fresh = await startStudio({ aether: db.aether, port: 0 });
    try {
      expect(fresh.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
      expect(fresh.url).toBe(`http://127.0.0.1:${fresh.port}/?token=${fresh.token}`);
      const origin = originOf(fresh);
      const response = await fetch(`${origin}/users?q=ada&token=${encodeURIComponent(fresh.token)}`, {
        redirect: 'manual',
      });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/users?q=ada');
      const cookie = response.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      expect(cookie).toMatch(/Path=\//);
      const signedIn = await fetch(`${origin}/users?q=ada`, { headers: { cookie: cookie.split(';')[0]! } });
      expect(signedIn.status).toBe(200);
      expect(await signedIn.text()).toContain('ada@example.net');

      // the same link a second time opens nothing
      const again = await fetch(fresh.url, { redirect: 'manual' });
      expect(again.status).toBe(401);
      expect(again.headers.get('set-cookie')).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('lets another browser in with a new one-time link from a signed-in one; the first stays signed in', async () => {
    const before = await session.get('/access');
    expect(before.status).toBe(200);
    expect(await before.text()).not.toContain('?token=');
    const issued = await session.post('/access', { _csrf: await session.csrf('/access') });
    expect(issued.status).toBe(303);
    expect(issued.headers.get('location')).toBe('/access');
    const shown = await (await session.get('/access')).text();
    const link = /data-testid="issued-link">([^<]+)</.exec(shown)![1]!.replaceAll('&amp;', '&');
    expect(link).toMatch(new RegExp(`^${originOf(studio)}/\\?token=[A-Za-z0-9_-]{43}$`));
    // shown once: a reload of the page does not show it again
    expect(await (await session.get('/access')).text()).not.toContain('issued-link');

    const other = await fetch(link, { redirect: 'manual' });
    expect(other.status).toBe(303);
    const cookie = other.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).not.toBe(session.cookie);
    expect((await fetch(`${originOf(studio)}/users`, { headers: { cookie } })).status).toBe(200);
    expect((await session.get('/users')).status).toBe(200);
    // the link works once
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    // making a link is a state change: without the CSRF token it is refused, and no link is shown
    expect((await session.post('/access', {})).status).toBe(403);
    expect(await (await session.get('/access')).text()).not.toContain('issued-link');
  });

  it('serves its stylesheet without a session (it holds no data), so the sign-in page is styled', async () => {
    const origin = originOf(studio);
    const css = await fetch(`${origin}/static/studio.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const page = await (await fetch(`${origin}/`)).text();
    expect(page).toContain('<link rel="stylesheet" href="/static/studio.css"/>');
    expect(page).toContain('Let another browser in');
  });

  it('redirects after the token only within the studio', async () => {
    const fresh = await startStudio({ aether: db.aether, port: 0 });
    try {
      const response = await fetch(`${originOf(fresh)}//evil.example/?token=${fresh.token}`, { redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/evil.example/');
    } finally {
      await fresh.close();
    }
  });

  it('answers only to its own loopback Host (no DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: studio.port,
          path: '/',
          headers: { host: `evil.example:${studio.port}`, cookie: session.cookie },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('listens on loopback only', async () => {
    await expect(startStudio({ aether: db.aether, host: '0.0.0.0', port: 0 })).rejects.toThrow(/loopback/);
  });
});

describe('the studio with its token', () => {
  it('sends a strict CSP and the other security headers on every response', async () => {
    for (const response of [
      await session.get('/'),
      await session.get('/static/studio.css'),
      await fetch(`${session.origin}/`),
    ]) {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const css = await session.get('/static/studio.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const page = await (await session.get('/')).text();
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/); // nothing from the internet
  });

  it('refuses a POST without the CSRF token, with a wrong one, or from another origin, and writes nothing', async () => {
    const before = await userCount();
    const form = { email: 'mallory@example.net', password: PASSWORD };
    const csrf = await session.csrf();
    expect((await session.post('/users', form)).status).toBe(403);
    expect((await session.post('/users', { ...form, _csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await session.post('/users', { ...form, _csrf: csrf }, { origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect(
      (await session.post('/users', { ...form, _csrf: csrf }, { origin: 'null', 'sec-fetch-site': 'cross-site' }))
        .status,
    ).toBe(403);
    expect(await userCount()).toBe(before);
    expect(await db.sql('select 1 from "user" where email = $1', ['mallory@example.net'])).toEqual([]);

    const ok = await session.post('/users', { ...form, _csrf: csrf });
    expect(ok.status).toBe(303);
    expect(await userCount()).toBe(before + 1);
  });

  it('shows a refusal of the application as the domain error, after a redirect, and changes nothing', async () => {
    const csrf = await session.csrf();
    const before = await addressCount();
    const response = await session.post(`/domains/${world.bobDomain.id}/mailboxes`, {
      _csrf: csrf,
      address: 'sneaky@bob.test',
      actor: world.ada.id,
    });
    expect(response.status).toBe(303); // post/redirect/get: the refusal travels in the session
    expect(response.headers.get('location')).toBe(`/domains/${world.bobDomain.id}`);
    const page = await (await session.get(response.headers.get('location')!)).text();
    expect(page).toContain('NOT_OWNER');
    expect(page).toContain('only the owner of bob.test may manage it');
    expect(page).toContain('value="sneaky@bob.test"'); // the form comes back as it was sent
    expect(await addressCount()).toBe(before);
    expect(await db.sql(`select 1 from address where address like '%@bob.test'`)).toEqual([]);
  });

  it('escapes what the database holds: a hostile subject and body are text', async () => {
    const subject = '<img src=x onerror=alert(1)>';
    const body = '</pre><script>window.__xss = 1</script>';
    const report = await db.aether.mail.deliverInbound({
      recipients: ['info@ada.org'],
      message: { from: 'eve@example.net', to: ['info@ada.org'], subject, body },
    });
    const emailId = report.delivered[0]!.emailId;
    const page = await (await session.get(`/mailboxes/${world.info.id}/email/${emailId}`)).text();
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('&lt;/pre&gt;&lt;script&gt;window.__xss = 1&lt;/script&gt;');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toMatch(/<script/i);
    const list = await (await session.get(`/email?q=${encodeURIComponent('onerror')}`)).text();
    expect(list).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(list).not.toContain('<img src=x');
  });

  it('answers unknown pages and ids with 404, and bad page links with 400', async () => {
    expect((await session.get('/nope')).status).toBe(404);
    expect((await session.get('/users/not-a-uuid')).status).toBe(404);
    expect((await session.get(`/domains/${world.ada.id}`)).status).toBe(404);
    expect((await session.get('/users?after=garbage')).status).toBe(400);
  });
});

describe('studio sessions end when left idle', () => {
  it('keeps a session in use and ends one idle for longer than SESSION_IDLE_MS', () => {
    let now = 1_000_000;
    const store = new SessionStore('first-token', () => now);
    const busy = store.redeem('first-token')!;
    const idle = store.redeem(store.issue())!;
    for (let hour = 1; hour <= 10; hour++) {
      now += 60 * 60 * 1000;
      expect(store.find(busy.id), `hour ${hour}`).toBe(busy); // used every hour: lives on
    }
    expect(store.find(idle.id)).toBeUndefined(); // 10 hours unused: ended, and stays ended
    now += SESSION_IDLE_MS;
    expect(store.find(busy.id)).toBe(busy); // exactly the idle limit: still in
    now += SESSION_IDLE_MS + 1;
    expect(store.find(busy.id)).toBeUndefined();
    expect(store.redeem('first-token')).toBeUndefined(); // a used link stays used
  });
});
