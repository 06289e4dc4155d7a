/**
 * The migrations of issue #19 (a schema Citus accepts) on a populated database: up, down and up
 * again keep every row, and the owner each existing row is given is its domain's.
 */
import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { digestRows } from '../support/digest.js';
import { useEmptyDatabase } from '../support/empty-database.js';
import type { TestDatabase } from '../support/test-database.js';

const db = useEmptyDatabase();
/** The last migration before issue #19's. */
const BEFORE = 'Migration20261204154326_domain_deleted_event';
const digest = () => digestRows(db as unknown as TestDatabase);

const MAILBOX_HASH = '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
const APP_HASH = '$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA';
const NEWSLETTER = Buffer.from('Subject: to everyone\r\n\r\nthe same bytes in four mailboxes\r\n');

/**
 * Two owners, each with a domain, two mailboxes with folders, mail (one message in all four), counters,
 * journal, receipts and credentials, and an alias.
 */
async function populate(): Promise<{ owners: string[] }> {
  const owners: string[] = [];
  for (let o = 0; o < 2; o++) {
    const owner = randomUUID();
    const domain = randomUUID();
    owners.push(owner);
    await db.sql(
      `insert into "user" (id, email, password_hash, status, created_at, updated_at) values ($1, $2, 'x', 'active', now(), now())`,
      [owner, `o${o}@people.test`],
    );
    await db.sql(
      `insert into domain (id, name, owner_id, verification_token, verified, verified_at, status, max_mailboxes, max_aliases, default_quota_bytes, max_quota_bytes, created_at)
       values ($1, $2::text, $3, 'token-' || $2::text, true, now(), 'active', 0, 0, 0, 0, now())`,
      [domain, `d${o}.example`, owner],
    );
    await db.sql(
      `insert into address (id, kind, address, domain_id, created_at, destinations) values ($1, 'alias', $2, $3, now(), '{x@outside.test}')`,
      [randomUUID(), `alias@d${o}.example`, domain],
    );
    for (let b = 0; b < 2; b++) {
      const box = randomUUID();
      await db.sql(
        `insert into address (id, kind, address, domain_id, created_at, quota_bytes, used_bytes, status) values ($1, 'mailbox', $2, $3, now(), $4, 40, 'active')`,
        // a quota of its own (one unlimited) and the 40 bytes of its four emails below
        [box, `b${b}@d${o}.example`, domain, o === 0 && b === 0 ? 0 : 1000 * (b + 1) + o],
      );
      const folders: string[] = [];
      for (const [role, path] of [
        ['inbox', 'INBOX'],
        ['archive', 'Archive'],
      ]) {
        const folder = randomUUID();
        folders.push(folder);
        await db.sql(
          `insert into folder (id, mailbox_id, path, role, created_at, uid_validity, uid_next) values ($1, $2, $3, $4, now(), 1, 5)`,
          [folder, box, path, role],
        );
      }
      for (let n = 1; n <= 3; n++) {
        const raw = Buffer.from(`Subject: ${o}-${b}-${n}\r\n\r\nhello ${n}\r\n`);
        const [{ hash }] = (await db.sql<{ hash: string }>(`select encode(sha256($1), 'hex') as hash`, [raw])) as [
          { hash: string },
        ];
        await db.sql(
          `insert into message (content_hash, raw, size_bytes, envelope, structure, attachments, created_at)
           values ($1, $2::bytea, octet_length($2::bytea), '{}', '{}', '[]', now())`,
          [hash, raw],
        );
        const email = randomUUID();
        await db.sql(
          `insert into email (mailbox_id, id, folder_id, user_id, message_id, subject, from_address, to_addresses, cc_addresses, body, size_bytes,
                              seen, flagged, answered, draft, received_at, created_at, content_hash, uid, modseq)
           values ($1, $2, $3, $4, '<m@x>', 's', 'a@outside.test', '{}', '{}', 'b', 10, false, false, false, false, now(), now(), $5, $6, $6)`,
          [box, email, folders[n % 2], owner, hash, n],
        );
        await db.sql(
          `insert into mail_change (mailbox_id, id, modseq, kind, folder_id, uid, email_id, created_at) values ($1, $2, $3, 'added', $4, $3, $5, now())`,
          [box, randomUUID(), n, folders[n % 2], email],
        );
        await db.sql(`insert into delivery_receipt (mailbox_id, content_hash, delivered_at) values ($1, $2, now())`, [
          box,
          hash,
        ]);
      }
      // the same bytes in every mailbox: one stored message before the message store is kept per mailbox
      await db.sql(
        `insert into message (content_hash, raw, size_bytes, envelope, structure, attachments, created_at)
         values (encode(sha256($1::bytea), 'hex'), $1::bytea, octet_length($1::bytea), '{}', '{}', '[]', now())
         on conflict (content_hash) do nothing`,
        [NEWSLETTER],
      );
      await db.sql(
        `insert into email (mailbox_id, id, folder_id, user_id, message_id, subject, from_address, to_addresses, cc_addresses, body, size_bytes,
                            seen, flagged, answered, draft, received_at, created_at, content_hash, uid, modseq)
         values ($1, gen_random_uuid(), $2, $3, '<news@x>', 'news', 'a@outside.test', '{}', '{}', 'b', 10, false, false, false, false,
                 now(), now(), encode(sha256($4::bytea), 'hex'), 4, 3)`,
        [box, folders[0], owner, NEWSLETTER],
      );
      await db.sql(`insert into mailbox_state (mailbox_id, highest_modseq, journal_floor) values ($1, 3, 0)`, [box]);
      await db.sql(
        `insert into mailbox_password (id, mailbox_id, hash, changed_at) values (gen_random_uuid(), $1, $2, now())`,
        [box, MAILBOX_HASH],
      );
      await db.sql(
        `insert into app_password (id, mailbox_id, name, selector, hash, protocols, created_at)
         values (gen_random_uuid(), $1, 'phone', $2, $3, '{imap}', now())`,
        [box, `sel${'abcd'[o * 2 + b]}bcdefgh`.slice(0, 10), APP_HASH],
      );
    }
  }
  return { owners };
}

/** Rows whose owner is not their domain's (every owned table). */
async function wrongOwners(): Promise<number> {
  const mailboxTables = [
    'folder',
    'mailbox_state',
    'mailbox_usage',
    'mail_change',
    'delivery_receipt',
    'mailbox_password',
    'app_password',
    'message',
  ];
  let wrong = 0;
  const [address] = await db.sql<{ n: number }>(
    `select count(*)::int as n from address a left join domain d on d.id = a.domain_id where a.owner_id is distinct from d.owner_id`,
  );
  wrong += address!.n;
  for (const table of mailboxTables) {
    const [row] = await db.sql<{ n: number }>(
      `select count(*)::int as n from ${table} t left join address a on a.id = t.mailbox_id where t.owner_id is distinct from a.owner_id`,
    );
    wrong += row!.n;
  }
  return wrong;
}

describe('the migrations of a Citus-ready schema on a populated database', () => {
  it('up, down and up again keep every row, and give every row its domain’s owner and name', async () => {
    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      await orm.migrator.up({ to: BEFORE });
      await populate();
      const populated = await digest();
      expect(populated.email!.rows).toBe(16);
      const counters = await db.sql(
        `select id, quota_bytes::int as quota, used_bytes::int as used from address where kind = 'mailbox' order by id`,
      );
      expect(counters).toHaveLength(4);
      // by column name: down() puts the counters back as the last columns of address
      const addresses = () => db.sql(`select to_jsonb(a) as row from address a order by id`);
      const populatedAddresses = await addresses();
      expect(populated.message!.rows).toBe(13);

      await orm.migrator.up();
      const migrated = await digest();
      // tables that later migrations add (the outbound queue, …) start empty and are not compared;
      // mailbox_usage holds what address held: every mailbox's quota and bytes used, none lost
      const before = Object.entries(migrated).filter(
        ([t, d]) => t !== 'mailbox_usage' && (t in populated || d.rows > 0),
      );
      expect(
        await db.sql(
          `select a.id, u.quota_bytes::int as quota, u.used_bytes::int as used
             from address a join mailbox_usage u on u.mailbox_id = a.id and u.owner_id = a.owner_id order by a.id`,
        ),
      ).toEqual(counters);
      expect(
        await db.sql(
          `select column_name from information_schema.columns where table_name = 'address' and column_name in ('quota_bytes', 'used_bytes')`,
        ),
      ).toEqual([]);
      // the message store is kept per mailbox: the message in four mailboxes is four rows now
      expect(Object.fromEntries(before.map(([t, d]) => [t, d.rows]))).toEqual(
        Object.fromEntries(Object.entries(populated).map(([t, d]) => [t, t === 'message' ? 16 : d.rows])),
      );
      expect(
        await db.sql(
          `select count(*)::int as n from email e join message m on m.mailbox_id = e.mailbox_id and m.content_hash = e.content_hash
            where m.owner_id = e.user_id and m.raw = (select raw from message k where k.content_hash = e.content_hash limit 1)`,
        ),
      ).toEqual([{ n: 16 }]);
      expect(await wrongOwners()).toBe(0);
      expect(await db.sql(`select count(*)::int as n from address where owner_id is null`)).toEqual([{ n: 0 }]);
      // every address keeps its domain's name, which its key and check now hold it to
      expect(
        await db.sql(
          `select count(*)::int as n from address a join domain d on d.id = a.domain_id where a.domain_name is distinct from d.name`,
        ),
      ).toEqual([{ n: 0 }]);
      // folder is keyed by (mailbox_id, id), and every email's key finds its folder in its own mailbox
      expect(
        await db.sql(
          `select array_agg(a.attname::text order by k.n) as columns
             from pg_constraint c cross join unnest(c.conkey) with ordinality k(attnum, n)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
            where c.conname = 'folder_pkey'`,
        ),
      ).toEqual([{ columns: ['mailbox_id', 'id'] }]);
      expect(
        await db.sql(
          `select count(*)::int as n from email e join folder f on f.mailbox_id = e.mailbox_id and f.id = e.folder_id`,
        ),
      ).toEqual([{ n: 16 }]);
      // every credential names the kind of address its key finds: a mailbox
      for (const table of ['mailbox_password', 'app_password'])
        expect(
          await db.sql(
            `select count(*)::int as n, count(*) filter (where t.mailbox_kind = 'mailbox' and a.kind = 'mailbox')::int as of_mailbox
               from ${table} t join address a on a.id = t.mailbox_id`,
          ),
        ).toEqual([{ n: 4, of_mailbox: 4 }]);

      await orm.migrator.down({ to: BEFORE });
      const { address: _moved, ...rest } = await digest();
      const { address: _before, ...restBefore } = populated;
      expect(rest).toEqual(restBefore);
      expect(await addresses()).toEqual(populatedAddresses);

      await orm.migrator.up();
      expect(await digest()).toEqual(migrated);
      expect(await orm.migrator.getPending()).toEqual([]);
    } finally {
      await orm.close();
    }
  });
});
