/**
 * Loaded rows never pass through constructors, so the database holds the rules too: a row written
 * by anything else (a script, psql, another service) still cannot break them.
 */
import { describe, expect, it } from 'vitest';
import { digestRows } from '../support/digest.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

async function refusedBy(sql: string, params: unknown[] = []): Promise<string> {
  const error = await db.sql(sql, params).then(
    () => undefined,
    (e: { constraint?: string; code?: string }) => e,
  );
  expect(error, `expected the database to refuse: ${sql}`).toBeDefined();
  return error!.constraint ?? error!.code ?? 'unknown';
}

async function world() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `raw@${domain.name}`, quotaBytes: 1000 });
  const other = await db.aether.mailboxes.create(owner.id, { address: `other@${domain.name}` });
  const { delivered } = await db.aether.mail.deliverInbound({ recipients: [box.address], message: message() });
  return { owner, domain, box, other, emailId: delivered[0]!.emailId };
}

describe('rules the database enforces by itself', () => {
  it('an address is on its own domain', async () => {
    const { domain, box } = await world();
    expect(
      await refusedBy(
        `insert into address (id, kind, address, domain_id, owner_id, domain_name, created_at, status, version)
         values (gen_random_uuid(), 'mailbox', 'evil@elsewhere.example', $1, (select owner_id from domain where id = $1), (select name from domain where id = $1), now(), 'active', 1)`,
        [domain.id],
      ),
    ).toBe('address_in_domain');
    expect(await refusedBy(`update address set address = 'moved@elsewhere.example' where id = $1`, [box.id])).toBe(
      'address_in_domain',
    );
  });

  it('addresses are unique across mailboxes and aliases, and stored lower-case', async () => {
    const { domain, box } = await world();
    expect(
      await refusedBy(
        `insert into address (id, kind, address, domain_id, owner_id, domain_name, created_at, destinations)
         values (gen_random_uuid(), 'alias', $1, $2, (select owner_id from domain where id = $2), (select name from domain where id = $2), now(), '{x@y.test}')`,
        [box.address, domain.id],
      ),
    ).toBe('address_address_unique');
    expect(
      await refusedBy(`update address set address = regexp_replace(address, '^raw', 'RAW') where id = $1`, [box.id]),
    ).toBe('address_normalised');
  });

  it('used bytes never exceed the quota', async () => {
    const { box } = await world();
    expect(await refusedBy(`update mailbox_usage set used_bytes = 1001 where mailbox_id = $1`, [box.id])).toBe(
      'mailbox_usage_quota',
    );
    expect(await refusedBy(`update mailbox_usage set used_bytes = -1 where mailbox_id = $1`, [box.id])).toBe(
      'mailbox_usage_bytes',
    );
    expect(await refusedBy(`update mailbox_usage set quota_bytes = -1 where mailbox_id = $1`, [box.id])).toBe(
      'mailbox_usage_bytes',
    );
  });

  it('an email is in a folder of its own mailbox: the key (mailbox_id, folder_id) -> folder (mailbox_id, id)', async () => {
    const { box, other, emailId } = await world();
    const [folder] = await db.sql<{ id: string }>(`select id from folder where mailbox_id = $1 and role = 'archive'`, [
      other.id,
    ]);
    // the other folder's UIDNEXT is above the email's UID, so only the folder's mailbox is wrong
    await db.sql(`update folder set uid_next = 100 where mailbox_id = $1 and id = $2`, [other.id, folder!.id]);
    const before = await digestRows(db);
    expect(
      await refusedBy(`update email set folder_id = $1 where mailbox_id = $2 and id = $3`, [
        folder!.id,
        box.id,
        emailId,
      ]),
    ).toBe('email_folder_foreign');
    // a new row, written by hand into another mailbox's folder
    expect(
      await refusedBy(
        `insert into email (mailbox_id, id, folder_id, user_id, content_hash, uid, modseq, message_id, subject, from_address,
                            to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
         select $1, gen_random_uuid(), $2, user_id, content_hash, 50, modseq, message_id, subject, from_address,
                to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at
           from email where mailbox_id = $1 and id = $3`,
        [box.id, folder!.id, emailId],
      ),
    ).toBe('email_folder_foreign');
    expect(await digestRows(db)).toEqual(before);
  });

  it('a mailbox has one folder per special-use role, and folder names are unique regardless of case', async () => {
    const { box } = await world();
    expect(
      await refusedBy(
        `insert into folder (id, mailbox_id, owner_id, path, role, created_at, uid_validity)
         values (gen_random_uuid(), $1, (select owner_id from address where id = $1), 'Inbox2', 'inbox', now(), 1)`,
        [box.id],
      ),
    ).toBe('folder_mailbox_role_unique');
    expect(
      await refusedBy(
        `insert into folder (id, mailbox_id, owner_id, path, role, created_at, uid_validity)
         values (gen_random_uuid(), $1, (select owner_id from address where id = $1), 'inbox', null, now(), 1)`,
        [box.id],
      ),
    ).toBe('folder_mailbox_path_unique');
  });

  it('a domain is verified with a time, its name is normalised, its limits are sane', async () => {
    const { domain } = await world();
    expect(await refusedBy(`update domain set verified_at = null where id = $1`, [domain.id])).toBe(
      'domain_verified_at',
    );
    expect(await refusedBy(`update domain set name = upper(name) where id = $1`, [domain.id])).toBe(
      'domain_name_normalised',
    );
    expect(await refusedBy(`update domain set max_mailboxes = -1 where id = $1`, [domain.id])).toBe('domain_limits');
  });

  it('user addresses are stored normalised', async () => {
    const { owner } = await world();
    expect(await refusedBy(`update "user" set email = upper(email) where id = $1`, [owner.id])).toBe(
      'user_email_normalised',
    );
  });
});
