/**
 * Every tenant row carries its owner, so the tenant policies need no subquery (Citus refuses one in
 * a policy, issue #19). The owner is set by the domain when it constructs a row and kept exact by
 * composite keys (src/infrastructure/persistence/mappings/owner-keys.ts): these tests show it equal
 * to the domain's owner on every row, a wrong one refused, and deletion and transfer of an owner
 * leaving no row with a stale one.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestRows } from '../support/digest.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ rowLevelSecurity: true });

/** The tables whose rows carry an owner, and how each row reaches its domain. */
const OWNED = {
  address: `select t.owner_id, d.owner_id as expected from address t join domain d on d.id = t.domain_id`,
  folder: 'mailbox',
  mailbox_state: 'mailbox',
  mail_change: 'mailbox',
  delivery_receipt: 'mailbox',
  mailbox_password: 'mailbox',
  app_password: 'mailbox',
  message: 'mailbox',
  email: `select t.user_id as owner_id, d.owner_id as expected
            from email t join address a on a.id = t.mailbox_id join domain d on d.id = a.domain_id`,
} as const;

const throughMailbox = (table: string) =>
  `select t.owner_id, d.owner_id as expected
     from ${table} t join address a on a.id = t.mailbox_id join domain d on d.id = a.domain_id`;

/** Per table: how many rows, and how many whose owner is not their domain's owner. */
async function owners(): Promise<Record<string, { rows: number; wrong: number }>> {
  const result: Record<string, { rows: number; wrong: number }> = {};
  for (const [table, how] of Object.entries(OWNED)) {
    const source = how === 'mailbox' ? throughMailbox(table) : how;
    const [row] = await db.sql<{ rows: number; wrong: number }>(
      `select count(*)::int as rows, count(*) filter (where owner_id is distinct from expected)::int as wrong
         from (${source}) s`,
    );
    const [all] = await db.sql<{ n: number }>(`select count(*)::int as n from ${table}`);
    // a row that reaches no domain would be missing from the join: count it as wrong too
    result[table] = { rows: all!.n, wrong: row!.wrong + (all!.n - row!.rows) };
  }
  return result;
}

/** A tenant with a row in every owned table. */
async function tenant() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `me-${randomUUID()}@${domain.name}` });
  await db.aether.aliases.add(owner.id, {
    source: `alias-${randomUUID()}@${domain.name}`,
    destinations: [box.address],
  });
  await db.aether.mail.deliverMany(box.address, [message(), message()]);
  const raw = Buffer.from(`From: a@outside.test\r\nTo: ${box.address}\r\nSubject: lmtp\r\n\r\nhello\r\n`);
  await db.aether.mail.deliverEach({ recipients: [box.address], raw });
  await db.aether.credentials.setPassword(owner.id, box.id, 'a long enough mailbox password');
  await db.aether.credentials.createAppPassword(owner.id, box.id, { name: 'phone', protocols: ['imap'] });
  return { owner, domain, box };
}

describe('the owner on every tenant row', () => {
  it('is the domain’s owner on every row the services write', async () => {
    await tenant();
    await tenant();
    const seen = await owners();
    for (const [table, { rows, wrong }] of Object.entries(seen)) {
      expect(rows, `${table} has rows`).toBeGreaterThan(0);
      expect(wrong, `${table} rows with another owner`).toBe(0);
    }
  });

  it('a row that names another owner is refused by its key, and nothing is written', async () => {
    const a = await tenant();
    const b = await tenant();
    const before = await digestRows(db);
    const attempts: [unknown, string, unknown[]][] = [
      [
        'address_domain_owner_foreign',
        `update address set owner_id = $1 where domain_id = $2 and kind = 'alias'`,
        [b.owner.id, a.domain.id],
      ],
      // a mailbox's rows refer to its (id, owner_id): one of their keys refuses it first
      [
        expect.stringMatching(/^\w+_mailbox_owner_foreign$/),
        `update address set owner_id = $1 where id = $2`,
        [b.owner.id, a.box.id],
      ],
      [
        'address_domain_owner_foreign',
        `insert into address (id, kind, address, domain_id, owner_id, domain_name, created_at, status, version)
         values (gen_random_uuid(), 'mailbox', $1, $2, $3, (select name from domain where id = $2), now(), 'active', 1)`,
        [`new@${a.domain.name}`, a.domain.id, b.owner.id],
      ],
      ['folder_mailbox_owner_foreign', `update folder set owner_id = $1 where mailbox_id = $2`, [b.owner.id, a.box.id]],
      [
        'mailbox_state_mailbox_owner_foreign',
        `update mailbox_state set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
      [
        'mailbox_usage_mailbox_owner_foreign',
        `update mailbox_usage set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
      [
        'mail_change_mailbox_owner_foreign',
        `update mail_change set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
      [
        'delivery_receipt_mailbox_owner_foreign',
        `update delivery_receipt set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
      [
        'mailbox_password_mailbox_owner_foreign',
        `update mailbox_password set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
      [
        'app_password_mailbox_owner_foreign',
        `update app_password set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
      ['email_mailbox_owner_foreign', `update email set user_id = $1 where mailbox_id = $2`, [b.owner.id, a.box.id]],
      [
        'message_mailbox_owner_foreign',
        `update message set owner_id = $1 where mailbox_id = $2`,
        [b.owner.id, a.box.id],
      ],
    ];
    for (const [constraint, sql, params] of attempts) {
      const error = await db.sql(sql, params).then(
        () => undefined,
        (e: unknown) => e as { code?: string; constraint?: string },
      );
      expect(error, sql).toMatchObject({ code: '23503', constraint });
    }
    expect(await digestRows(db)).toEqual(before);
  });

  it('deleting an owner takes every row of theirs and no one else’s', async () => {
    const a = await tenant();
    const b = await tenant();
    const others = await digestRows(db, { mentioning: [b.owner.id, b.domain.id, b.box.id] });
    await db.aether.users.delete(a.owner.id);
    for (const table of Object.keys(OWNED)) {
      const column = table === 'email' ? 'user_id' : 'owner_id';
      expect(await db.sql(`select count(*)::int as n from ${table} where ${column} = $1`, [a.owner.id])).toEqual([
        { n: 0 },
      ]);
    }
    expect(await digestRows(db, { mentioning: [b.owner.id, b.domain.id, b.box.id] })).toEqual(others);
    expect(Object.values(await owners()).every((t) => t.wrong === 0)).toBe(true);
  });

  it('a domain handed to another owner takes its directory rows along, and is refused while it holds mail', async () => {
    // the domain has no verb that changes its owner; this is what the keys do if SQL does it
    const a = await tenant();
    const b = await tenant();
    const onlyAliases = await db.aether.domains.add(a.owner.id, { name: `aliases-${randomUUID()}.example` });
    db.dns.publishTxt(onlyAliases.name, onlyAliases.verificationRecord.value);
    await db.aether.domains.verify(a.owner.id, onlyAliases.id);
    await db.aether.aliases.add(a.owner.id, { source: `x@${onlyAliases.name}`, destinations: [a.box.address] });

    // the directory (reference tables on Citus) follows the domain's owner by cascade
    await db.sql(`update domain set owner_id = $1 where id = $2`, [b.owner.id, onlyAliases.id]);
    expect(await db.sql(`select owner_id from address where domain_id = $1`, [onlyAliases.id])).toEqual([
      { owner_id: b.owner.id },
    ]);

    // mail rows (distributed by mailbox on Citus, where a key on the distribution column cannot
    // cascade an update) hold the owner: the change is refused whole
    const before = await digestRows(db);
    const error = await db.sql(`update domain set owner_id = $1 where id = $2`, [b.owner.id, a.domain.id]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: '23503' });
    expect(await digestRows(db)).toEqual(before);
    expect(Object.values(await owners()).every((t) => t.wrong === 0)).toBe(true);
  });

  it('a mailbox created while its owner is deleted is either whole with the right owner or gone (held lock)', async () => {
    const a = await tenant();
    // the deletion takes the user's and domain's row locks first; the creation waits behind them
    const held = await hold(db, [[`delete from "user" where id = $1`, [a.owner.id]]]);
    const creating = outcome(db.aether.mailboxes.create(a.owner.id, { address: `late@${a.domain.name}` }));
    await waitForLockWaiters(db, 1);
    await held.commit();
    const result = await creating;
    expect(result.ok).toBe(false);
    expect(await db.sql(`select count(*)::int as n from address where domain_id = $1`, [a.domain.id])).toEqual([
      { n: 0 },
    ]);
    expect(Object.values(await owners()).every((t) => t.wrong === 0)).toBe(true);
  });

  it('a burst of creations racing the owner’s deletion leaves no row with a stale or missing owner', async () => {
    const a = await tenant();
    const b = await tenant();
    const others = await digestRows(db, { mentioning: [b.owner.id, b.domain.id, b.box.id] });
    const results = await Promise.allSettled([
      ...Array.from({ length: 8 }, (_, i) =>
        db.aether.mailboxes.create(a.owner.id, { address: `burst${i}@${a.domain.name}` }),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        db.aether.aliases.add(a.owner.id, { source: `alias${i}@${a.domain.name}`, destinations: [a.box.address] }),
      ),
      db.aether.users.delete(a.owner.id),
    ]);
    expect(results.at(-1)!.status).toBe('fulfilled');
    for (const table of Object.keys(OWNED)) {
      const column = table === 'email' ? 'user_id' : 'owner_id';
      expect(await db.sql(`select count(*)::int as n from ${table} where ${column} = $1`, [a.owner.id])).toEqual([
        { n: 0 },
      ]);
    }
    expect(Object.values(await owners()).every((t) => t.wrong === 0)).toBe(true);
    expect(await digestRows(db, { mentioning: [b.owner.id, b.domain.id, b.box.id] })).toEqual(others);
  });
});
