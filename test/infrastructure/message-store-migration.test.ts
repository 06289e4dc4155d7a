import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../src/domain/raw-message.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';

const db = useEmptyDatabase();
const MIGRATION = 'Migration20261204142922_message_store';
const BEFORE = 'Migration20261201224800_tenant_policy_on_partitions';

/** Today's shape before the message store: two mailboxes, email in two folders, received out of id order. */
async function populate() {
  const owner = randomUUID();
  const domain = randomUUID();
  await db.sql(
    `insert into "user" (id, email, password_hash, status, created_at, updated_at) values ($1, 'o@mig.test', 'x', 'active', now(), now())`,
    [owner],
  );
  await db.sql(
    `insert into domain (id, name, owner_id, verification_token, verified, verified_at, status, max_mailboxes, max_aliases, default_quota_bytes, max_quota_bytes, created_at)
     values ($1, 'mig.example', $2, 't', true, now(), 'active', 0, 0, 0, 0, now())`,
    [domain, owner],
  );
  const boxes: string[] = [];
  for (let b = 0; b < 2; b++) {
    const box = randomUUID();
    boxes.push(box);
    await db.sql(
      `insert into address (id, kind, address, domain_id, created_at, quota_bytes, used_bytes, status) values ($1, 'mailbox', $2, $3, now(), 0, 0, 'active')`,
      [box, `b${b}@mig.example`, domain],
    );
    for (const [role, path] of [
      ['inbox', 'INBOX'],
      ['archive', 'Archive'],
    ]) {
      await db.sql(
        `insert into folder (id, mailbox_id, path, role, created_at) values ($1, $2, $3, $4, now() - interval '1 day')`,
        [randomUUID(), box, path, role],
      );
    }
    // ids ascending, received times descending: UIDs must follow the received order
    await db.sql(
      `insert into email (mailbox_id, id, folder_id, user_id, message_id, subject, from_address, to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
       select $1, ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, f.id, $2, '<m' || n || '@mig.test>', 'Grüße ' || n, 'a@outside.test',
              '{b@mig.example}', case when n % 2 = 0 then '{c@outside.test}' else '{}' end::text[], E'line one\\nline ' || n, 10 + n, n % 2 = 0, false, false, false,
              now() - n * interval '1 minute', now()
         from folder f, generate_series(1, 12) n where f.mailbox_id = $1 and f.role = case when n % 3 = 0 then 'archive' else 'inbox' end::text`,
      [box, owner],
    );
    await db.sql(
      `update address set used_bytes = (select sum(size_bytes) from email where mailbox_id = $1) where id = $1`,
      [box],
    );
  }
  return boxes;
}

const emailColumns = () =>
  db.sql(
    `select mailbox_id, id, folder_id, message_id, subject, from_address, to_addresses, cc_addresses, body, size_bytes, seen, received_at
       from email order by mailbox_id, id`,
  );

describe('the message store migration on a populated database', () => {
  it('gives every email a raw message and a UID in received order, keeps used bytes, and goes back', async () => {
    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      await orm.migrator.up({ to: BEFORE });
      await populate();
      const before = await emailColumns();
      const used = await db.sql(`select id, used_bytes from address order by id`);

      await orm.migrator.up({ to: MIGRATION });
      expect(await emailColumns()).toEqual(before);
      expect(await db.sql(`select id, used_bytes from address order by id`)).toEqual(used);
      const rows = await db.sql<{
        folder_id: string;
        uid: string;
        received_at: Date;
        raw: Buffer;
        subject: string;
        body: string;
        cc_addresses: string[];
      }>(
        `select e.folder_id, e.uid, e.received_at, m.raw, e.subject, e.body, e.cc_addresses from email e join message m using (content_hash)
          order by e.folder_id, e.uid`,
      );
      expect(rows).toHaveLength(24);
      for (const row of rows) {
        const parsed = await parseRawMessage(row.raw);
        expect(parsed.envelope.subject).toBe(row.subject);
        expect(parsed.body.replace(/\r\n/g, '\n').trimEnd()).toBe(row.body);
        expect(parsed.cc).toEqual(row.cc_addresses);
      }
      // per folder: UIDs 1..n in received order
      const byFolder = Map.groupBy(rows, (r) => r.folder_id);
      for (const list of byFolder.values()) {
        expect(list.map((r) => Number(r.uid))).toEqual(list.map((_, i) => i + 1));
        const times = list.map((r) => new Date(r.received_at).getTime());
        expect([...times].sort((a, b) => a - b)).toEqual(times);
      }
      const folders = await db.sql<{ ok: boolean }>(
        `select f.uid_next = 1 + (select count(*) from email e where e.folder_id = f.id) and f.uid_validity > 0 as ok from folder f`,
      );
      expect(folders.every((f) => f.ok)).toBe(true);
      expect(await db.sql(`select count(*)::int as n from mailbox_state`)).toEqual([{ n: 2 }]);

      await orm.migrator.down();
      expect(await emailColumns()).toEqual(before);
      expect(await db.sql(`select to_regclass('message') as t`)).toEqual([{ t: null }]);
      await orm.migrator.up();
      expect(await emailColumns()).toEqual(before);
    } finally {
      await orm.close(true);
    }
  });
});
