import { createHash, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';

const db = useEmptyDatabase();

/** The migration that threads existing email, and the one before it. */
async function migrations() {
  const files = (await readdir(new URL('../../migrations', import.meta.url)))
    .filter((f) => /^Migration\d+.*\.ts$/.test(f))
    .sort()
    .map((f) => f.replace(/\.ts$/, ''));
  const at = files.findIndex((f) => f.endsWith('_threads_and_search'));
  return { migration: files[at]!, before: files[at - 1]! };
}

/** Ids in time order, as the application makes them: the oldest email has the smallest. */
const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** Two mailboxes with mail stored before threads: references in the stored envelopes. */
async function populate() {
  const owner = randomUUID();
  const domain = randomUUID();
  await db.sql(
    `insert into "user" (id, email, password_hash, status, created_at, updated_at) values ($1, 'o@thr.test', 'x', 'active', now(), now())`,
    [owner],
  );
  await db.sql(
    `insert into domain (id, name, owner_id, verification_token, verified, verified_at, status, max_mailboxes, max_aliases, default_quota_bytes, max_quota_bytes, created_at)
     values ($1, 'thr.example', $2, 't', true, now(), 'active', 0, 0, 0, 0, now())`,
    [domain, owner],
  );
  const boxes: string[] = [];
  let n = 0;
  for (const [b, mail] of [
    [
      0,
      [
        { mid: '<p@x>', subject: 'Plan' },
        { mid: '<c@x>', subject: 'Re: Plan', inReplyTo: '<p@x>' },
        { mid: '<g@x>', subject: 'Re: Re: Plan', references: '<p@x> <c@x>' },
        { mid: '<q@x>', subject: 'Plan' },
        { mid: '<k@x>', subject: 'Other', references: '<missing@x>' },
        { mid: '<l@x>', subject: 'Re: Other', references: '<missing@x>' },
      ],
    ],
    [1, [{ mid: '<p@x>', subject: 'Plan' }]],
  ] as const) {
    const box = randomUUID();
    const folder = randomUUID();
    boxes.push(box);
    await db.sql(
      `insert into address (id, kind, address, domain_id, created_at, quota_bytes, used_bytes, status) values ($1, 'mailbox', $2, $3, now(), 0, 0, 'active')`,
      [box, `b${b}@thr.example`, domain],
    );
    await db.sql(
      `insert into folder (id, mailbox_id, path, role, created_at, uid_validity, uid_next) values ($1, $2, 'INBOX', 'inbox', now(), 1, 100)`,
      [folder, box],
    );
    for (const m of mail) {
      n++;
      const raw = Buffer.from(`Message-ID: ${m.mid}\r\nSubject: ${m.subject}\r\n\r\nbody ${n}`);
      const hash = createHash('sha256').update(raw).digest('hex');
      const envelope = {
        subject: m.subject,
        messageId: m.mid,
        inReplyTo: 'inReplyTo' in m ? m.inReplyTo : null,
        references: 'references' in m ? m.references : null,
      };
      await db.sql(
        `insert into message (content_hash, raw, size_bytes, envelope, structure, attachments, created_at)
         values ($1, $2, $3, $4, '{}', '[]', now()) on conflict do nothing`,
        [hash, raw, raw.length, JSON.stringify(envelope)],
      );
      await db.sql(
        `insert into email (mailbox_id, id, folder_id, user_id, content_hash, uid, modseq, message_id, subject, from_address,
            to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
         values ($1, $2, $3, $4, $5, $6, 1, $7, $8, 'a@outside.test', '{}', '{}', $9, $10, false, false, false, false, now(), now())`,
        [box, id(n), folder, owner, hash, n, m.mid, m.subject, `body ${n}`, raw.length],
      );
    }
  }
  return boxes;
}

describe('the threads migration on a populated database', () => {
  it('gives every email a thread by its references, per mailbox, and goes back', async () => {
    const { migration, before } = await migrations();
    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      await orm.migrator.up({ to: before });
      const [a, b] = await populate();
      const columns = () => db.sql(`select mailbox_id, id, message_id, subject, modseq from email order by id`);
      const untouched = await columns();

      await orm.migrator.up({ to: migration });
      expect(await columns()).toEqual(untouched);
      const rows = await db.sql<{
        mailbox_id: string;
        id: string;
        message_id: string;
        thread_id: string;
        thread_keys: string[];
      }>(`select mailbox_id, id, message_id, thread_id, thread_keys from email order by id`);
      const thread = (mailbox: string, mid: string) =>
        rows.find((r) => r.mailbox_id === mailbox && r.message_id === mid)!.thread_id;
      // parent, reply and a reply by References: one thread, named by its oldest email
      expect(thread(a!, '<c@x>')).toBe(id(1));
      expect(thread(a!, '<g@x>')).toBe(id(1));
      // the same subject, no references: its own
      expect(thread(a!, '<q@x>')).toBe(id(4));
      // two replies to a message that is not there: linked by the missing parent
      expect(thread(a!, '<k@x>')).toBe(id(5));
      expect(thread(a!, '<l@x>')).toBe(id(5));
      // the same Message-ID in another mailbox: a thread of that mailbox
      expect(thread(b!, '<p@x>')).toBe(id(7));
      expect(rows.find((r) => r.message_id === '<g@x>')!.thread_keys).toEqual(['g@x', 'p@x', 'c@x', 'subject plan']);

      await orm.migrator.down();
      expect(await columns()).toEqual(untouched);
      await orm.migrator.up();
      expect(await db.sql(`select count(*)::int as n from email where thread_id is null`)).toEqual([{ n: 0 }]);
    } finally {
      await orm.close(true);
    }
  });
});
