/**
 * The message store is hash-partitioned by mailbox. Queries that name their mailbox read one
 * partition, and the migration that partitions an existing table keeps every row.
 */
import { readdir } from 'node:fs/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { openAether } from '../../src/infrastructure/aether.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';
import { fastHasher, useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

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

      const aether = await openAether({ settings, passwordHasher: fastHasher, resolveTxt: async () => [] });
      try {
        const owner = await aether.users.register({ email: 'owner@part.test', password: 'correct horse battery' });
        const domain = await aether.domains.add(owner.id, { name: 'part.example' });
        await empty.sql(`update domain set verified = true, verified_at = now() where id = $1`, [domain.id]);
        for (let i = 0; i < 5; i++) {
          const box = await aether.mailboxes.create(owner.id, { address: `box${i}@part.example` });
          await aether.mail.deliverMany(
            box.address,
            Array.from({ length: 20 + i }, (_, n) => message({ subject: `m${i}-${n}` })),
          );
        }
      } finally {
        await aether.close();
      }
      const fingerprint = () =>
        empty.sql<{ n: number; digest: string }>(
          `select count(*)::int as n, md5(string_agg(e::text, '|' order by mailbox_id, id)) as digest from email e`,
        );
      const rows = await fingerprint();
      expect(rows[0]!.n).toBe(110);

      await orm.migrator.up();
      expect(await empty.sql(`select relkind from pg_class where oid = 'email'::regclass`)).toEqual([{ relkind: 'p' }]);
      expect(await fingerprint()).toEqual(rows);
      expect(
        await empty.sql(
          `select count(*)::int as n from address a where used_bytes <> (select coalesce(sum(size_bytes), 0) from email where mailbox_id = a.id) and kind = 'mailbox'`,
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
