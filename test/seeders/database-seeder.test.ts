import { beforeAll, describe, expect, it } from 'vitest';
import { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import { DatabaseSeeder } from '../../src/seeders/DatabaseSeeder.js';
import { DEV_MAILBOX_PASSWORD, DEV_USERS } from '../../src/seeders/support/dev-world.js';
import { type TestDatabase, useTestDatabase } from '../support/test-database.js';
import { folderCountDrift } from '../support/folder-counts.js';

const db = useTestDatabase();
// a second database of its own, to show that another seed builds the same world
const twin = useTestDatabase();

beforeAll(async () => {
  await db.aether.orm.seeder.seed(DatabaseSeeder);
});

async function counts(database: TestDatabase) {
  const [row] = await database.sql<Record<string, number>>(`
    select (select count(*) from "user")::int as users,
           (select count(*) from domain)::int as domains,
           (select count(*) from domain where verified)::int as verified_domains,
           (select count(*) from address where kind = 'mailbox')::int as mailboxes,
           (select count(*) from address where kind = 'alias')::int as aliases,
           (select count(*) from address where kind = 'alias' and address like '@%')::int as catch_alls,
           (select count(*) from folder)::int as folders,
           (select count(*) from email)::int as emails`);
  return row!;
}

describe('DatabaseSeeder', () => {
  it('builds the documented world', async () => {
    expect(await counts(db)).toEqual({
      users: 3,
      domains: 6,
      verified_domains: 4,
      mailboxes: 10,
      aliases: 4,
      catch_alls: 1,
      folders: 65, // 10 mailboxes × 6 special-use, 4 user folders, and Projects, the parent of Projects/Engine
      emails: 97,
    });
    const perFolder = await db.sql<{ folder: string; emails: number }>(`
      select coalesce(f.role::text, 'user folder') as folder, count(*)::int as emails
      from email e join folder f on f.id = e.folder_id group by 1 order by 1`);
    expect(perFolder).toEqual([
      { folder: 'archive', emails: 18 },
      { folder: 'drafts', emails: 1 },
      { folder: 'inbox', emails: 56 },
      { folder: 'sent', emails: 18 },
      { folder: 'user folder', emails: 4 },
    ]);
    const [flags] = await db.sql<Record<string, number>>(`
      select count(*) filter (where seen)::int as seen, count(*) filter (where flagged)::int as flagged,
             count(*) filter (where answered)::int as answered, count(*) filter (where draft)::int as draft
      from email`);
    expect(flags).toEqual({ seen: 64, flagged: 27, answered: 18, draft: 1 });
    // the internationalised domain is stored in ASCII, its mailbox with it
    const idn = await db.sql(
      `select a.address from address a join domain d on d.id = a.domain_id where d.name = 'xn--bcher-kva.example'`,
    );
    expect(idn).toEqual([{ address: 'leser@xn--bcher-kva.example' }]);
  });

  it('keeps every invariant, checked in SQL', async () => {
    const broken = await db.sql<{ rule: string; rows: number }>(`
      select 'used_bytes is the sum of stored sizes' as rule, count(*)::int as rows from address a join mailbox_usage mu on mu.mailbox_id = a.id
        where a.kind = 'mailbox' and mu.used_bytes <> (select coalesce(sum(size_bytes), 0) from email e where e.mailbox_id = a.id)
      union all select 'quota holds', count(*)::int from mailbox_usage where quota_bytes > 0 and used_bytes > quota_bytes
      union all select 'every mailbox has its usage row', count(*)::int from address a
        where a.kind = 'mailbox' and not exists (select 1 from mailbox_usage mu where mu.mailbox_id = a.id)
      union all select 'email in a folder of its own mailbox', count(*)::int from email e join folder f on f.id = e.folder_id
        where f.mailbox_id <> e.mailbox_id
      union all select 'email belongs to the domain owner', count(*)::int from email e join address a on a.id = e.mailbox_id
        join domain d on d.id = a.domain_id where e.user_id <> d.owner_id
      union all select 'address on its own domain', count(*)::int from address a join domain d on d.id = a.domain_id
        where right(a.address, length(d.name) + 1) <> '@' || d.name
      union all select 'six special folders per mailbox', count(*)::int from address a
        where a.kind = 'mailbox' and (select count(distinct role) from folder f where f.mailbox_id = a.id and f.role is not null) <> 6
      union all select 'INBOX mail only on verified active domains', count(*)::int from email e
        join folder f on f.id = e.folder_id join address a on a.id = e.mailbox_id join domain d on d.id = a.domain_id
        where f.role = 'inbox' and not (d.verified and d.status = 'active')
      union all select 'no alias forwards to itself', count(*)::int from address where kind = 'alias' and address = any(destinations)`);
    expect(broken.filter((b) => b.rows > 0)).toEqual([]);
    expect(broken).toHaveLength(9);
    // every folder's counts equal its email (the seeder recounts its folders as it commits)
    expect(await folderCountDrift(db)).toEqual([]);
    expect(await db.sql('select sum(message_count)::int as n from folder')).toEqual([{ n: 97 }]);
  });

  it('stores the documented passwords with the default (OWASP) argon2id parameters', async () => {
    const hasher = new Argon2PasswordHasher();
    for (const user of DEV_USERS) {
      const [row] = await db.sql<{ password_hash: string }>('select password_hash from "user" where email = $1', [
        user.email,
      ]);
      expect(await hasher.verify(row!.password_hash, user.password)).toBe(true);
      expect(hasher.needsRehash(row!.password_hash)).toBe(false);
    }
    const [mailboxes] = await db.sql<{ without: number; hashes: string[] }>(
      `select count(*) filter (where p.id is null)::int as without, array_agg(distinct p.hash) filter (where p.id is not null) as hashes
         from address a left join mailbox_password p on p.mailbox_id = a.id where a.kind = 'mailbox'`,
    );
    expect(mailboxes!.without).toBe(0);
    expect(mailboxes!.hashes).toHaveLength(1);
    expect(await hasher.verify(mailboxes!.hashes[0]!, DEV_MAILBOX_PASSWORD)).toBe(true);
  });

  it('refuses a database that already has users, and adds nothing', async () => {
    const before = await counts(db);
    await expect(db.aether.orm.seeder.seed(DatabaseSeeder)).rejects.toThrow(
      'the database already holds 3 users; run `npm run db:reset` (or `npx mikro-orm migration:fresh --seed`) to start over',
    );
    await expect(new DatabaseSeeder().run(db.aether.orm.em.fork())).rejects.toThrow('already holds 3 users');
    expect(await counts(db)).toEqual(before);
  });

  it('builds the same world every time', async () => {
    await new DatabaseSeeder().run(twin.aether.orm.em.fork());
    const world = (database: TestDatabase) =>
      Promise.all([
        database.sql('select email, name from "user" order by email'),
        database.sql('select name, verified from domain order by name'),
        database.sql(
          `select a.address, a.kind, u.quota_bytes, u.used_bytes, a.destinations
             from address a left join mailbox_usage u on u.mailbox_id = a.id order by a.address`,
        ),
        database.sql('select a.address, f.path from folder f join address a on a.id = f.mailbox_id order by 1, 2'),
        database.sql(`select a.address, f.path, e.subject, e.message_id, e.from_address, e.size_bytes, e.seen, e.flagged, e.answered
                      from email e join address a on a.id = e.mailbox_id join folder f on f.id = e.folder_id order by 1, 2, 4`),
      ]);
    const [first, second] = await Promise.all([world(db), world(twin)]);
    expect(second).toEqual(first);
    expect(first[4]).toHaveLength(97);
  });
});
