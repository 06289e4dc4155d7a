/** The studio's actions over plain HTTP: each goes through an application service, refusals change nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStudio, startStudio } from '../../src/studio/server.js';
import { useTestDatabase } from '../support/test-database.js';
import { type Session, signIn } from './client.js';
import { PASSWORD } from '../support/world.js';
import { digestRows } from '../support/digest.js';
import { buildWorld } from './world.js';

const db = useTestDatabase();
let studio: RunningStudio;
let world: Awaited<ReturnType<typeof buildWorld>>;
let session: Session;
let csrf: string;

beforeAll(async () => {
  world = await buildWorld(db);
  studio = await startStudio({ aether: db.aether, port: 0 });
  session = await signIn(studio);
  csrf = await session.csrf();
});
afterAll(async () => {
  await studio?.close();
});

const post = (path: string, fields: Record<string, string>) => session.post(path, { _csrf: csrf, ...fields });
const statusOf = async (address: string) =>
  (await db.sql<{ status: string }>('select status from address where address = $1', [address]))[0]!.status;
const emailCount = async () => (await db.sql<{ n: number }>('select count(*)::int as n from email'))[0]!.n;

/**
 * A refused form redirects (post/redirect/get) to its page, which shows the refusal once: a reload
 * of that page posts nothing and shows the page without it.
 */
async function refused(response: Response, code: string): Promise<string> {
  expect(response.status).toBe(303);
  const location = response.headers.get('location')!;
  const page = await (await session.get(location)).text();
  expect(page).toContain(`<code class="refusal-code">${code}</code>`);
  const reloaded = await (await session.get(location)).text();
  expect(reloaded).not.toContain('refusal-code');
  return page;
}

describe('studio actions', () => {
  it('suspends a mailbox for its owner, refuses delivery to it, and activates it again', async () => {
    const path = `/mailboxes/${world.alice.id}`;
    await refused(await post(path, { op: 'suspend', actor: world.bob.id }), 'NOT_OWNER');
    expect(await statusOf('alice@ada.org')).toBe('active');

    const ok = await post(path, { op: 'suspend', actor: world.ada.id });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(path);
    expect(await statusOf('alice@ada.org')).toBe('suspended');

    const before = await emailCount();
    const page = await refused(
      await post(`${path}/deliver`, { from: 'x@example.net', to: 'alice@ada.org', subject: 'hi', body: 'hello' }),
      'MAILBOX_SUSPENDED',
    );
    expect(page).toContain('alice@ada.org is suspended');
    expect(await emailCount()).toBe(before);

    expect((await post(path, { op: 'activate', actor: world.ada.id })).status).toBe(303);
    expect(await statusOf('alice@ada.org')).toBe('active');
  });

  it('flags, moves and trashes email for the owner only', async () => {
    const [email] = await db.sql<{ id: string }>(
      `select e.id from email e where e.mailbox_id = $1 and e.subject = 'Compilers'`,
      [world.alice.id],
    );
    const path = `/mailboxes/${world.alice.id}/email/${email!.id}`;
    const row = async () =>
      (
        await db.sql<{ flagged: boolean; role: string }>(
          'select e.flagged, f.role from email e join folder f on f.id = e.folder_id where e.id = $1',
          [email!.id],
        )
      )[0];

    await refused(await post(path, { op: 'flag', actor: world.bob.id }), 'NOT_OWNER');
    expect(await row()).toEqual({ flagged: false, role: 'inbox' });
    expect((await post(path, { op: 'flag', actor: world.ada.id })).status).toBe(303);
    expect(await row()).toEqual({ flagged: true, role: 'inbox' });

    const [archive] = await db.sql<{ id: string }>(`select id from folder where mailbox_id = $1 and role = 'archive'`, [
      world.alice.id,
    ]);
    expect((await post(path, { op: 'move', folder: archive!.id, actor: world.ada.id })).status).toBe(303);
    expect(await row()).toEqual({ flagged: true, role: 'archive' });

    const trashed = await post(path, { op: 'trash', actor: world.ada.id });
    expect(trashed.status).toBe(303);
    expect(trashed.headers.get('location')).toBe(`/mailboxes/${world.alice.id}/folders/${archive!.id}`);
    expect(await row()).toEqual({ flagged: true, role: 'trash' });
  });

  it('suspends a domain and removes an alias through their services', async () => {
    const domainStatus = async () =>
      (await db.sql<{ status: string }>('select status from domain where id = $1', [world.adaOrg.id]))[0]!.status;
    expect((await post(`/domains/${world.adaOrg.id}`, { op: 'suspend', actor: world.ada.id })).status).toBe(303);
    expect(await domainStatus()).toBe('suspended');
    expect((await post(`/domains/${world.adaOrg.id}`, { op: 'activate', actor: world.ada.id })).status).toBe(303);
    expect(await domainStatus()).toBe('active');

    const [alias] = await db.sql<{ id: string }>(`select id from address where address = 'hello@ada.org'`);
    const remove = `/domains/${world.adaOrg.id}/aliases/${alias!.id}/delete`;
    const before = await digestRows(db);
    await refused(await post(remove, { actor: world.bob.id, confirm: 'yes' }), 'NOT_OWNER');
    await refused(await post(remove, { actor: world.ada.id }), 'CONFIRMATION_REQUIRED');
    expect(await digestRows(db)).toEqual(before);
    expect((await post(remove, { actor: world.ada.id, confirm: 'yes' })).status).toBe(303);
    expect(await db.sql(`select 1 from address where address = 'hello@ada.org'`)).toEqual([]);
  });

  it('shows refused input back, escaped, and never echoes a password', async () => {
    const users = async () => (await db.sql<{ n: number }>('select count(*)::int as n from "user"'))[0]!.n;
    const before = await users();
    const short = await refused(
      await post('/users', { email: 'dora@example.net', password: 'tiny-pw' }),
      'INVALID_PASSWORD',
    );
    expect(short).toContain('value="dora@example.net"');
    expect(short).not.toContain('tiny-pw');
    const hostile = await refused(
      await post('/users', { email: '"><script>x</script>@x.org', password: PASSWORD }),
      'INVALID_EMAIL_ADDRESS',
    );
    expect(hostile).not.toMatch(/<script/i);
    expect(hostile).toContain('&quot;&gt;&lt;script&gt;');
    // ada.org is verified by Ada: no one else may add it (an unverified name, such as bob.test, blocks no one)
    await refused(
      await post(`/users/${world.bob.id}/domains`, { name: 'ada.org', actor: world.bob.id }),
      'DOMAIN_TAKEN',
    );
    expect(await users()).toBe(before);
  });

  it('answers a button named after an object property with 400 and changes nothing', async () => {
    // the operations are looked up in a table: "constructor" or "__proto__" must not find Object's
    const [email] = await db.sql<{ id: string }>('select id from email where mailbox_id = $1 limit 1', [
      world.alice.id,
    ]);
    const digest = async () => {
      const tables = ['"user"', 'domain', 'address', 'folder', 'email'];
      return Promise.all(tables.map((t) => db.sql(`select x::text as row from ${t} x order by 1`)));
    };
    const before = await digest();
    const forms = [
      `/users/${world.ada.id}`,
      `/domains/${world.adaOrg.id}`,
      `/mailboxes/${world.alice.id}`,
      `/mailboxes/${world.alice.id}/email/${email!.id}`,
    ];
    for (const path of forms) {
      for (const op of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const response = await post(path, { op, actor: world.ada.id });
        expect({ path, op, status: response.status }).toEqual({ path, op, status: 400 });
      }
    }
    expect(await digest()).toEqual(before);
  });

  it('answers an unknown button with 400 and changes nothing', async () => {
    const response = await post(`/mailboxes/${world.alice.id}`, { op: 'explode', actor: world.ada.id });
    expect(response.status).toBe(400);
    expect(await statusOf('alice@ada.org')).toBe('active');
  });

  it('deletes an email for good only when confirmed, for the owner only, and frees its quota', async () => {
    const [email] = await db.sql<{ id: string; size_bytes: number }>(
      `select e.id, e.size_bytes from email e join address a on a.id = e.mailbox_id
        where a.address = 'info@ada.org' order by e.received_at limit 1`,
    );
    const used = async () =>
      Number(
        (
          await db.sql<{ used_bytes: string }>(
            `select mu.used_bytes from address a join mailbox_usage mu on mu.mailbox_id = a.id where a.address = 'info@ada.org'`,
          )
        )[0]!.used_bytes,
      );
    const path = `/mailboxes/${world.info.id}/email/${email!.id}/purge`;
    const before = await digestRows(db);
    await refused(await post(path, { actor: world.ada.id }), 'CONFIRMATION_REQUIRED');
    await refused(await post(path, { actor: world.bob.id, confirm: 'yes' }), 'NOT_OWNER');
    expect(await digestRows(db)).toEqual(before);
    const usedBefore = await used();
    const ok = await post(path, { actor: world.ada.id, confirm: 'yes' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(new RegExp(`^/mailboxes/${world.info.id}/folders/`));
    expect(await db.sql('select 1 from email where id = $1', [email!.id])).toEqual([]);
    expect(await used()).toBe(usedBefore - email!.size_bytes);
  });

  it('renames a user, and deletes a mailbox, a user and a domain only when confirmed', async () => {
    const renamed = await post(`/users/${world.carol.id}/rename`, { name: 'Carol Shaw' });
    expect(renamed.status).toBe(303);
    expect((await db.sql('select name from "user" where id = $1', [world.carol.id]))[0]).toEqual({
      name: 'Carol Shaw',
    });

    const mailbox = `/mailboxes/${world.info.id}/delete`;
    const before = await digestRows(db);
    await refused(await post(mailbox, { actor: world.ada.id }), 'CONFIRMATION_REQUIRED');
    await refused(await post(mailbox, { actor: world.bob.id, confirm: 'yes' }), 'NOT_OWNER');
    await refused(await post(`/users/${world.bob.id}/delete`, {}), 'CONFIRMATION_REQUIRED');
    expect(await digestRows(db)).toEqual(before);

    const gone = await post(mailbox, { actor: world.ada.id, confirm: 'yes' });
    expect(gone.status).toBe(303);
    expect(gone.headers.get('location')).toBe(`/domains/${world.adaOrg.id}`);
    expect(await db.sql(`select 1 from address where address = 'info@ada.org'`)).toEqual([]);
    expect(await db.sql('select 1 from folder where mailbox_id = $1', [world.info.id])).toEqual([]);

    const userGone = await post(`/users/${world.bob.id}/delete`, { confirm: 'yes' });
    expect(userGone.status).toBe(303);
    expect(userGone.headers.get('location')).toBe('/users');
    expect(await db.sql('select 1 from "user" where id = $1', [world.bob.id])).toEqual([]);
    expect(await db.sql('select 1 from domain where owner_id = $1', [world.bob.id])).toEqual([]);

    const domain = `/domains/${world.adaOrg.id}/delete`;
    const beforeDomain = await digestRows(db);
    await refused(await post(domain, { actor: world.ada.id }), 'CONFIRMATION_REQUIRED');
    await refused(await post(domain, { actor: world.carol.id, confirm: 'yes' }), 'NOT_OWNER');
    expect(await digestRows(db)).toEqual(beforeDomain);
    const domainGone = await post(domain, { actor: world.ada.id, confirm: 'yes' });
    expect(domainGone.status).toBe(303);
    expect(domainGone.headers.get('location')).toBe(`/users/${world.ada.id}`);
    expect(await db.sql('select 1 from domain where id = $1', [world.adaOrg.id])).toEqual([]);
    expect(await db.sql('select 1 from address where domain_id = $1', [world.adaOrg.id])).toEqual([]);
  });
});
