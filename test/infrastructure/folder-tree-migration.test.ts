import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { parseRawMessage, type MimePart } from '../../src/domain/raw-message.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';

const db = useEmptyDatabase();
const MIGRATION = 'Migration20261204162540_folder_tree';
/** Before the message store: email rows of the simplest shape, which later migrations carry forward. */
const START = 'Migration20261201224800_tenant_policy_on_partitions';

/** A mailbox with email in INBOX, Archive and a nested folder whose parents were never created. */
async function populate() {
  const owner = randomUUID();
  const domain = randomUUID();
  const box = randomUUID();
  await db.sql(
    `insert into "user" (id, email, password_hash, status, created_at, updated_at) values ($1, 'o@tree.test', 'x', 'active', now(), now())`,
    [owner],
  );
  await db.sql(
    `insert into domain (id, name, owner_id, verification_token, verified, verified_at, status, max_mailboxes, max_aliases, default_quota_bytes, max_quota_bytes, created_at)
     values ($1, 'tree.example', $2, 't', true, now(), 'active', 0, 0, 0, 0, now())`,
    [domain, owner],
  );
  await db.sql(
    `insert into address (id, kind, address, domain_id, created_at, quota_bytes, used_bytes, status) values ($1, 'mailbox', 'b@tree.example', $2, now(), 0, 0, 'active')`,
    [box, domain],
  );
  for (const [role, path] of [
    ['inbox', 'INBOX'],
    ['archive', 'Archive'],
    [null, 'Deep/A/B'],
    [null, 'deep/Other'],
    [null, 'Flat'],
  ]) {
    await db.sql(`insert into folder (id, mailbox_id, path, role, created_at) values ($1, $2, $3, $4, now())`, [
      randomUUID(),
      box,
      path,
      role,
    ]);
  }
  await db.sql(
    `insert into email (mailbox_id, id, folder_id, user_id, message_id, subject, from_address, to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
     select $1, ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, f.id, $2, '<m' || n || '@tree.test>', 's' || n, 'a@outside.test',
            '{b@tree.example}', '{}', E'line one\\nline ' || n || repeat(E'\\n', n % 2), 10 + n, n % 3 = 0, false, false, false, now() - n * interval '1 minute', now()
       from folder f, generate_series(1, 15) n
      where f.mailbox_id = $1 and f.path = (array['INBOX', 'Archive', 'Deep/A/B'])[1 + n % 3]`,
    [box, owner],
  );
  await db.sql(
    `update address set used_bytes = (select sum(size_bytes) from email where mailbox_id = $1) where id = $1`,
    [box],
  );
  return box;
}

const countDrift = () =>
  db.sql(
    `select f.path from folder f left join email e on e.folder_id = f.id and e.mailbox_id = f.mailbox_id group by f.mailbox_id, f.id
      having f.message_count <> count(e.id) or f.unseen_count <> count(e.id) filter (where not e.seen)
          or f.size_bytes <> coalesce(sum(e.size_bytes), 0)`,
  );

describe('the folder tree migration on a populated database', () => {
  it('backfills exact counts, creates the missing parents, keeps every email, goes back, and measures stored parts as transmitted', async () => {
    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      await orm.migrator.up({ to: START });
      await populate();
      const pending = (await orm.migrator.getPending()).map((m) => m.name);
      await orm.migrator.up({ to: pending[pending.indexOf(MIGRATION) - 1]! });
      const emails = () => db.sql(`select mailbox_id, id, folder_id, uid, seen, size_bytes from email order by id`);
      const before = await emails();
      const folders = () => db.sql(`select id, path, uid_validity, uid_next from folder order by id`);
      const foldersBefore = await folders();

      await orm.migrator.up({ to: MIGRATION });
      expect(await emails()).toEqual(before);
      expect(await countDrift()).toEqual([]);
      const counts = await db.sql<{ path: string; message_count: string; unseen_count: string }>(
        `select path, message_count, unseen_count from folder where message_count > 0`,
      );
      expect(counts.map((c) => [c.path, Number(c.message_count), Number(c.unseen_count)]).sort()).toEqual([
        ['Archive', 5, 5],
        ['Deep/A/B', 5, 5],
        ['INBOX', 5, 0],
      ]);
      // the parents of Deep/A/B (and of deep/Other, the same parent by case) now exist, once each
      const paths = (await db.sql<{ path: string }>(`select path from folder`)).map((r) => r.path).sort();
      expect(paths).toEqual(['Archive', 'Deep', 'Deep/A', 'Deep/A/B', 'Flat', 'INBOX', 'deep/Other'].sort());
      // the folders that were there keep their rows and UIDVALIDITY
      const kept = await db.sql(
        `select id, path, uid_validity, uid_next from folder where id = any($1::uuid[]) order by id`,
        [foldersBefore.map((f) => (f as { id: string }).id)],
      );
      expect(kept).toEqual(foldersBefore);
      expect(await db.sql(`select 1 from folder where subscribed is not true`)).toEqual([]);
      // from now on the counters follow every write
      await db.sql(`update email set seen = true`);
      await db.sql(`delete from email where size_bytes > 20`);
      expect(await countDrift()).toEqual([]);

      await orm.migrator.down();
      expect(await db.sql(`select to_regclass('email') is not null as t`)).toEqual([{ t: true }]);
      expect(
        await db.sql(`select count(*)::int as n from information_schema.columns where column_name = 'message_count'`),
      ).toEqual([{ n: 0 }]);
      await orm.migrator.up();
      expect(await countDrift()).toEqual([]);

      // the encoded-sizes migration measured the synthesised messages as parseRawMessage does now
      const messages = await db.sql<{ raw: Buffer; structure: MimePart }>(`select raw, structure from message`);
      expect(messages.length).toBeGreaterThan(0);
      for (const m of messages) {
        const { structure } = await parseRawMessage(m.raw);
        expect([m.structure.size, m.structure.lines]).toEqual([structure.size, structure.lines]);
        expect(structure.lines).toBe(2);
      }
    } finally {
      await orm.close(true);
    }
  });
});
