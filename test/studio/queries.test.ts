import { beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isDomainError } from '../../src/domain/errors.js';
import { User } from '../../src/domain/user.js';
import { decodeCursor, encodeCursor } from '../../src/application/keyset-cursor.js';
import { StudioQueries, containsPattern } from '../../src/studio/queries.js';
import { searchForms, unicodeAddress } from '../../src/studio/unicode.js';
import { keyedPage } from '../../src/infrastructure/persistence/read-models/keyed-page.js';
import { userTotalsOf } from '../../src/infrastructure/persistence/read-models/holdings.js';
import { Mailbox } from '../../src/domain/mailbox.js';
import { useTestDatabase } from '../support/test-database.js';
import { PASSWORD } from '../support/world.js';
import { buildWorld } from './world.js';

const db = useTestDatabase();
let world: Awaited<ReturnType<typeof buildWorld>>;
let queries: StudioQueries;

beforeAll(async () => {
  world = await buildWorld(db);
  queries = new StudioQueries(db.aether.unitOfWork);
});

describe('studio queries (read-only browsing)', () => {
  it('pages users by email with a keyset cursor, counting what each owns', async () => {
    const first = await queries.listUsers({ limit: 2 });
    expect(first.total).toBe(3);
    expect(first.items.map((u) => u.email)).toEqual(['ada@example.net', 'bob@example.net']);
    expect(first.items[0]).toMatchObject({ domainCount: 1, mailboxCount: 2, aliasCount: 1, emailCount: 3 });
    expect(first.items[0]!.storageBytes).toBeGreaterThan(1000);
    expect(first.items[1]).toMatchObject({
      domainCount: 1,
      mailboxCount: 0,
      aliasCount: 0,
      emailCount: 0,
      storageBytes: 0,
    });
    expect(first.next).not.toBeNull();
    const second = await queries.listUsers({ limit: 2, after: first.next! });
    expect(second.items.map((u) => u.email)).toEqual(['carol@example.com']);
    expect(second.next).toBeNull();
  });

  it('searches with the user’s text as a parameter, LIKE wildcards taken literally', async () => {
    expect((await queries.listUsers({ q: 'LOVELACE' })).items.map((u) => u.email)).toEqual(['ada@example.net']);
    expect((await queries.listUsers({ q: '100%_' })).items.map((u) => u.email)).toEqual(['bob@example.net']);
    expect((await queries.listUsers({ q: '%' })).items.map((u) => u.email)).toEqual(['bob@example.net']);
    expect((await queries.listUsers({ q: '\'; drop table "user"; --' })).total).toBe(0);
    expect(containsPattern('a_b%c\\')).toBe('%a\\_b\\%c\\\\%');
    expect((await db.sql('select count(*)::int as n from "user"'))[0]).toEqual({ n: 3 });
  });

  it('lists domains, mailboxes and aliases with their relations and filters', async () => {
    const domains = await queries.listDomains({});
    expect(domains.items.map((d) => [d.name, d.ownerEmail, d.verified, d.mailboxCount, d.aliasCount])).toEqual([
      ['ada.org', 'ada@example.net', true, 2, 1],
      ['bob.test', 'bob@example.net', false, 0, 0],
    ]);
    expect((await queries.listDomains({ verified: 'no' })).items.map((d) => d.name)).toEqual(['bob.test']);
    expect((await queries.listDomains({ owner: world.bob.id })).items.map((d) => d.name)).toEqual(['bob.test']);

    const boxes = await queries.listMailboxes({ domain: world.adaOrg.id, limit: 1 });
    expect(boxes.total).toBe(2);
    expect(boxes.items.map((m) => [m.address, m.ownerEmail])).toEqual([['alice@ada.org', 'ada@example.net']]);
    const rest = await queries.listMailboxes({ domain: world.adaOrg.id, limit: 1, after: boxes.next! });
    expect(rest.items.map((m) => m.address)).toEqual(['info@ada.org']);

    const aliases = await queries.listAliases({ q: 'hello' });
    expect(aliases.items.map((a) => [a.address, a.destinations, a.domainName])).toEqual([
      ['hello@ada.org', ['alice@ada.org'], 'ada.org'],
    ]);
  });

  it('shows a mailbox with its folders and counts, and email newest first by keyset', async () => {
    const box = await queries.getMailbox(world.alice.id);
    const inbox = box.folderRows.find((f) => f.role === 'inbox')!;
    expect(box.folderRows[0]!.role).toBe('inbox');
    expect(inbox).toMatchObject({ emails: 2, unread: 2 });
    expect(inbox.bytes).toBe(box.usedBytes);

    const page1 = await queries.listEmail({ mailbox: world.alice.id, folder: inbox.id, limit: 1 });
    expect(page1.total).toBe(2);
    expect(page1.items.map((e) => e.subject)).toEqual(['Engines 50% off']);
    const page2 = await queries.listEmail({ mailbox: world.alice.id, folder: inbox.id, limit: 1, after: page1.next! });
    expect(page2.items.map((e) => e.subject)).toEqual(['Compilers']);
    expect(page2.next).toBeNull();
    expect((await queries.listEmail({ q: '50%' })).items.map((e) => e.mailboxAddress).sort()).toEqual([
      'alice@ada.org',
      'info@ada.org',
    ]);
    expect((await queries.listEmail({ q: 'GRACE@' })).total).toBe(1);

    const detail = await queries.getEmail(world.alice.id, page2.items[0]!.id);
    expect(detail.body).toBe('a'.repeat(1000));
    expect(detail.flags.seen).toBe(false); // browsing marks nothing as read
    const [row] = await db.sql<{ seen: boolean }>('select seen from email where id = $1', [detail.id]);
    expect(row!.seen).toBe(false);
  });

  it('builds the dashboard figures from grouped queries', async () => {
    const dash = await queries.dashboard();
    expect(dash.totals).toMatchObject({
      users: 3,
      domains: 2,
      verifiedDomains: 1,
      mailboxes: 2,
      aliases: 1,
      folders: 12,
      emails: 3,
    });
    const [sum] = await db.sql<{ bytes: string }>('select sum(used_bytes)::text as bytes from mailbox_usage');
    expect(dash.totals.storageBytes).toBe(Number(sum!.bytes));
    expect(dash.topUsers.map((u) => [u.email, u.domainCount])).toEqual([
      ['ada@example.net', 1],
      ['bob@example.net', 1],
      ['carol@example.com', 0],
    ]);
    expect(dash.topDomains.map((d) => d.name)).toEqual(['ada.org', 'bob.test']);
    expect((await queries.dashboard(1)).topUsers.map((u) => u.email)).toEqual(['ada@example.net']);
    expect(dash.fullestMailboxes[0]!.address).toBe('alice@ada.org');
  });

  it('refuses bad ids and cursors with domain errors', async () => {
    await expect(queries.getUser('nope')).rejects.toSatisfy((e) => isDomainError(e, 'NOT_FOUND'));
    await expect(queries.listUsers({ after: 'garbage' })).rejects.toSatisfy((e) => isDomainError(e, 'INVALID_CURSOR'));
    await expect(queries.listEmail({ after: encodeCursor({ key: 'not a date', id: 'x' }) })).rejects.toSatisfy((e) =>
      isDomainError(e, 'INVALID_CURSOR'),
    );
    expect(decodeCursor(encodeCursor({ key: 'a', id: world.ada.id }))).toEqual({ key: 'a', id: world.ada.id });
  });

  it('reads in a read-only transaction', async () => {
    const read = (
      queries as unknown as { read: (work: (em: EntityManager) => Promise<unknown>) => Promise<unknown> }
    ).read.bind(queries);
    const attempt = read((em) => em.nativeDelete(User, {}));
    await expect(attempt).rejects.toThrow();
    expect((await db.sql('select count(*)::int as n from "user"'))[0]).toEqual({ n: 3 });
  });
});

describe('studio queries over several claims of one domain name', () => {
  it('pages domains by name and then id, so two claims of one name are both listed, each once', async () => {
    const claim = await db.aether.domains.add(world.carol.id, { name: 'bob.test' });
    const seen: [string, string][] = [];
    let page = await queries.listDomains({ limit: 1 });
    for (let i = 0; i < 10; i++) {
      seen.push(...page.items.map((d) => [d.name, d.ownerEmail] as [string, string]));
      if (!page.next) break;
      page = await queries.listDomains({ limit: 1, after: page.next });
    }
    expect(page.total).toBe(3);
    const bobTest = [world.bobDomain, claim].sort((a, b) => a.id.localeCompare(b.id));
    const emailOf = new Map([
      [world.bobDomain.id, 'bob@example.net'],
      [claim.id, 'carol@example.com'],
    ]);
    expect(seen).toEqual([['ada.org', 'ada@example.net'], ...bobTest.map((d) => ['bob.test', emailOf.get(d.id)!])]);
  });
});

describe('studio queries over Unicode names', () => {
  it('lists domains in the order people read their names, page after page', async () => {
    const { users, domains } = db.aether;
    const owner = await users.register({ email: 'sorter@example.org', password: PASSWORD });
    // stored as xn--… (sorting after every ASCII name by the stored form), read as Unicode
    const names = ['zebra.example', 'bücher.example', 'buch.example', 'ägypten.example', 'bz.example', 'ærø.example'];
    for (const name of names) await domains.add(owner.id, { name });
    const seen: string[] = [];
    let page = await queries.listDomains({ owner: owner.id, limit: 2 });
    for (let i = 0; i < 10; i++) {
      seen.push(...page.items.map((d) => d.displayName));
      if (!page.next) break;
      page = await queries.listDomains({ owner: owner.id, limit: 2, after: page.next });
    }
    expect(seen).toEqual([...names].sort(new Intl.Collator('und').compare));
    expect(seen.slice(-4)).toEqual(['buch.example', 'bücher.example', 'bz.example', 'zebra.example']);
  });

  it('finds a Unicode domain typed in Unicode or in punycode, and shows it in Unicode', async () => {
    expect(searchForms('bücher')).toEqual(['bücher', 'xn--bcher-kva']);
    expect(searchForms('leser@Bücher.example')).toEqual(['leser@Bücher.example', 'leser@xn--bcher-kva.example']);
    expect(searchForms('plain')).toEqual(['plain']);
    expect(unicodeAddress('leser@xn--bcher-kva.example')).toBe('leser@bücher.example');
    expect(unicodeAddress('@xn--bcher-kva.example')).toBe('@bücher.example');
    expect(unicodeAddress('ada@example.net')).toBe('ada@example.net');

    const { users, domains, mailboxes, aliases } = db.aether;
    const reader = await users.register({ email: 'leser@bücher.example', password: PASSWORD });
    const domain = await domains.add(reader.id, { name: 'bücher.example' });
    db.dns.publishTxt(domain.verificationRecord.name, domain.verificationRecord.value);
    await domains.verify(reader.id, domain.id);
    await mailboxes.create(reader.id, { address: 'leser@bücher.example' });
    await aliases.add(reader.id, { source: 'post@bücher.example', destinations: ['leser@bücher.example'] });
    for (const q of ['bücher', 'BÜCHER', 'xn--bcher-kva', 'leser@bücher.example']) {
      if (!q.startsWith('leser')) {
        expect(
          (await queries.listDomains({ q })).items.map((d) => d.displayName),
          q,
        ).toEqual(['bücher.example']);
        expect(
          (await queries.listAliases({ q })).items.map((a) => [a.address, a.destinations]),
          q,
        ).toEqual([['post@bücher.example', ['leser@bücher.example']]]);
      }
      expect(
        (await queries.listMailboxes({ q })).items.map((m) => [m.address, m.domainName, m.ownerEmail]),
        q,
      ).toEqual([['leser@bücher.example', 'bücher.example', 'leser@bücher.example']]);
      expect(
        (await queries.listUsers({ q })).items.map((u) => u.email),
        q,
      ).toEqual(['leser@bücher.example']);
    }
    // stored in ASCII, as before
    expect(await db.sql(`select name from domain where id = $1`, [domain.id])).toEqual([
      { name: 'xn--bcher-kva.example' },
    ]);
  });
});

describe('studio read models', () => {
  it('pages mailboxes (one kind of a shared table) by address with the row comparison, each once', async () => {
    const seen: string[] = [];
    let after: { key: string; id: string } | undefined;
    for (let i = 0; i < 20; i++) {
      const rows = await db.aether.unitOfWork(
        (em) => keyedPage(em, Mailbox, { where: {}, key: 'address', limit: 1, after }),
        { snapshot: true },
      );
      if (rows.length === 0) break;
      seen.push(rows[0]!.address);
      after = { key: rows[0]!.address, id: rows[0]!.id };
    }
    const all = await db.sql<{ address: string }>(
      `select address from address where kind = 'mailbox' order by address, id`,
    );
    expect(seen).toEqual(all.map((r) => r.address));
  });

  it('counts what each user holds in grouped queries, zeros for one who owns nothing', async () => {
    const dave = await db.aether.users.register({ email: 'dave@example.org', password: PASSWORD });
    const totals = await db.aether.unitOfWork((em) => userTotalsOf(em, [world.ada.id, dave.id]), {
      snapshot: true,
    });
    const [ada] = await db.sql<{ mailboxes: number; storage: string; emails: number }>(
      `select (select count(*)::int from address a join domain d on d.id = a.domain_id
                where a.kind = 'mailbox' and d.owner_id = $1) as mailboxes,
              (select coalesce(sum(mu.used_bytes), 0)::text from address a join mailbox_usage mu on mu.mailbox_id = a.id join domain d on d.id = a.domain_id
                where a.kind = 'mailbox' and d.owner_id = $1) as storage,
              (select count(*)::int from email where user_id = $1) as emails`,
      [world.ada.id],
    );
    expect(totals.get(world.ada.id)).toMatchObject({
      mailboxes: ada!.mailboxes,
      emails: ada!.emails,
      storageBytes: Number(ada!.storage),
    });
    expect(totals.get(dave.id)).toEqual({ domains: 0, mailboxes: 0, aliases: 0, emails: 0, storageBytes: 0 });
  });
});
