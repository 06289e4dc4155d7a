/**
 * The message store is hash-partitioned by mailbox. Queries that name their mailbox read one
 * partition, and the migration that partitions an existing table keeps every row.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { ROLE_PATHS } from '../../src/domain/folder.js';
import { openAether } from '../../src/infrastructure/aether.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';
import { fastHasher, useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain, PASSWORD } from '../support/world.js';

describe('queries that name their mailbox', () => {
  const db = useTestDatabase();

  it('read a single partition of the email table', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `pruned@${domain.name}` });
    await db.aether.mail.deliverMany(box.address, [message(), message()]);
    const inbox = (await db.aether.mailboxes.get(owner.id, box.id)).folders!.find((f) => f.role === 'inbox')!;
    const partitions = await db.sql<{ n: number }>(
      `select count(*)::int as n from pg_inherits where inhparent = 'email'::regclass`,
    );
    expect(partitions[0]!.n).toBe(16);

    const scanned = async (sql: string, params: unknown[]) => {
      const [row] = await db.sql<{ 'QUERY PLAN': unknown }>(`explain (format json) ${sql}`, params);
      return [...JSON.stringify(row!['QUERY PLAN']).matchAll(/"Relation Name":"(email[^"]*)"/g)].map((m) => m[1]);
    };
    // the statements behind listFolderPage, read/flag/move/purge and a mailbox's statistics
    const page = await scanned(
      `select * from email where mailbox_id = $1 and folder_id = $2 and user_id = $3 order by received_at desc, id desc limit 51`,
      [box.id, inbox.id, owner.id],
    );
    const one = await scanned(`select * from email where mailbox_id = $1 and id = $2`, [
      box.id,
      '00000000-0000-7000-8000-000000000000',
    ]);
    const stats = await scanned(`select folder_id, count(*) from email where mailbox_id = $1 group by folder_id`, [
      box.id,
    ]);
    for (const relations of [page, one, stats]) {
      expect(relations).toHaveLength(1);
      expect(relations[0]).toMatch(/^email_\d+$/);
    }
  });
});

describe('the partitioning migration on a populated database', () => {
  const empty = useEmptyDatabase();

  it('keeps every row, and every service works on the partitioned table', async () => {
    const files = (await readdir(new URL('../../migrations', import.meta.url)))
      .filter((f) => /^Migration\d+.*\.ts$/.test(f))
      .sort();
    const partitioning = files.find((f) => f.includes('partition_email'))!.replace(/\.ts$/, '');
    const before = files[files.indexOf(`${partitioning}.ts`) - 1]!.replace(/\.ts$/, '');
    const config = createOrmConfig(empty.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    const settings = { ...empty.settings, application: empty.settings.direct };
    try {
      await orm.migrator.up({ to: before });
      expect(await empty.sql(`select relkind from pg_class where oid = 'email'::regclass`)).toEqual([{ relkind: 'r' }]);

      // populated with SQL as of that schema: today's services expect the columns of later migrations
      await populateUnpartitioned(empty.sql);
      // the columns of that schema (later migrations add columns of their own, filled from these)
      const columns = (
        await empty.sql<{ c: string }>(
          `select string_agg(quote_ident(attname), ', ' order by attnum) as c from pg_attribute
          where attrelid = 'email'::regclass and attnum > 0 and not attisdropped`,
        )
      )[0]!.c;
      const fingerprint = () =>
        empty.sql<{ n: number; digest: string }>(
          `select count(*)::int as n, md5(string_agg(e::text, '|' order by mailbox_id, id)) as digest
             from (select ${columns} from email) e`,
        );
      const rows = await fingerprint();
      expect(rows[0]!.n).toBe(110);

      await orm.migrator.up();
      expect(await empty.sql(`select relkind from pg_class where oid = 'email'::regclass`)).toEqual([{ relkind: 'p' }]);
      expect(await fingerprint()).toEqual(rows);
      expect(
        await empty.sql(
          `select count(*)::int as n from mailbox_usage a where used_bytes <> (select coalesce(sum(size_bytes), 0) from email where mailbox_id = a.mailbox_id)`,
        ),
      ).toEqual([{ n: 0 }]);

      const after = await openAether({ settings, passwordHasher: fastHasher });
      try {
        const owner = (await after.users.findByEmail('owner@part.test'))!;
        const box = (await after.mailboxes.list(owner.id, (await after.domains.list(owner.id))[0]!.id))[0]!;
        await after.mail.deliverInbound({ recipients: [box.address], message: message({ subject: 'after' }) });
        const inbox = (await after.mailboxes.get(owner.id, box.id)).folders!.find((f) => f.role === 'inbox')!;
        const page = await after.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id, limit: 5 });
        expect(page.items[0]!.subject).toBe('after');
      } finally {
        await after.close();
      }
    } finally {
      await orm.close(true);
    }
  });
});

/** A verified domain with five mailboxes holding 20–24 emails each, in the schema before partitioning. */
async function populateUnpartitioned(sql: (text: string, params?: unknown[]) => Promise<unknown[]>) {
  const owner = randomUUID();
  const domain = randomUUID();
  const hash = await fastHasher.hash(PASSWORD);
  await sql(
    `insert into "user" (id, email, password_hash, name, status, created_at, updated_at) values ($1, 'owner@part.test', $2, null, 'active', now(), now())`,
    [owner, hash],
  );
  await sql(
    `insert into domain (id, name, owner_id, verification_token, verified, verified_at, status, max_mailboxes, max_aliases, default_quota_bytes, max_quota_bytes, created_at)
     values ($1, 'part.example', $2, md5(random()::text), true, now(), 'active', 0, 0, 1073741824, 0, now())`,
    [domain, owner],
  );
  for (let i = 0; i < 5; i++) {
    const box = randomUUID();
    await sql(
      `insert into address (id, kind, address, domain_id, created_at, quota_bytes, used_bytes, status) values ($1, 'mailbox', $2, $3, now(), 1073741824, 0, 'active')`,
      [box, `box${i}@part.example`, domain],
    );
    for (const [role, path] of Object.entries(ROLE_PATHS)) {
      await sql(`insert into folder (id, mailbox_id, path, role, created_at) values ($1, $2, $3, $4, now())`, [
        randomUUID(),
        box,
        path,
        role,
      ]);
    }
    await sql(
      `insert into email (mailbox_id, id, folder_id, user_id, message_id, subject, from_address, to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
       select $1, gen_random_uuid(), f.id, $2, '<m' || n || '@part.test>', 'm${i}-' || n, 'sender@outside.test', '{someone@outside.test}', '{}', 'Hi there', 100, false, false, false, false, now(), now()
         from folder f, generate_series(1, $3::int) n where f.mailbox_id = $1 and f.role = 'inbox'`,
      [box, owner, 20 + i],
    );
    await sql(
      `update address set used_bytes = (select sum(size_bytes) from email where mailbox_id = $1) where id = $1`,
      [box],
    );
  }
}
