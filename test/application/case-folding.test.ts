/**
 * Addresses and logins are compared by Unicode case folding (src/domain/case-fold.ts), in the
 * domain and in the database's unique keys alike: `ΑΣ`, `ασ` and `ας` are one address (stored
 * `ασ`), `Straße` and `STRASSE` one login. The database refuses a row that is not in folded form,
 * whoever writes it, so its unique keys compare folded text. Folder names use the same fold.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { User } from '../../src/domain/user.js';
import { Mailbox } from '../../src/domain/mailbox.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain, PASSWORD, registerUser } from '../support/world.js';

const db = useTestDatabase();
const inspector = () => (db as unknown as { inspector: pg.Pool }).inspector;

async function mailboxOn(local: string) {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `${local}@${domain.name}` });
  return { owner, domain, box };
}

const emailsIn = (mailboxId: string) =>
  db.sql<{ subject: string }>(`select subject from email where mailbox_id = $1 order by subject`, [mailboxId]);

/** The database's own answer to a write of a row, by SQLSTATE and constraint. */
async function refusal(sql: string, params: unknown[]): Promise<{ code?: string; constraint?: string }> {
  const error = await db.sql(sql, params).then(
    () => undefined,
    (e: { code?: string; constraint?: string }) => ({ code: e.code, constraint: e.constraint }),
  );
  expect(error, `expected the database to refuse ${JSON.stringify(params)}`).toBeDefined();
  return error!;
}

/** Waits (bounded) until a backend of this database is waiting for a lock. */
async function untilSomeoneWaitsForALock(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [row] = await db.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (row!.n > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no unit of work started waiting for the lock');
}

describe('addresses are one by case fold', () => {
  it('ΑΣ, ασ and ας are one address: a second mailbox or alias for any form is ADDRESS_TAKEN, nothing written', async () => {
    const { owner, domain, box } = await mailboxOn('ΑΣ');
    expect(box.address).toBe(`ασ@${domain.name}`);
    for (const form of ['ασ', 'ας', 'Ας', 'ΑΣ']) {
      await expectRefused(db, 'ADDRESS_TAKEN', () =>
        db.aether.mailboxes.create(owner.id, { address: `${form}@${domain.name}` }),
      );
      await expectRefused(db, 'ADDRESS_TAKEN', () =>
        db.aether.aliases.add(owner.id, { source: `${form}@${domain.name}`, destinations: ['x@outside.test'] }),
      );
    }
    expect(await db.sql(`select address from address where domain_id = $1`, [domain.id])).toEqual([
      { address: `ασ@${domain.name}` },
    ]);
  });

  it('an alias for ας refuses a later mailbox ΑΣ, and Straße refuses STRASSE', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    await db.aether.aliases.add(owner.id, { source: `ας@${domain.name}`, destinations: ['x@outside.test'] });
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `ΑΣ@${domain.name}` }),
    );
    await db.aether.mailboxes.create(owner.id, { address: `Straße@${domain.name}` });
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `STRASSE@${domain.name}` }),
    );
    expect(
      await db.sql(`select kind, address from address where domain_id = $1 order by address`, [domain.id]),
    ).toEqual([
      { kind: 'mailbox', address: `strasse@${domain.name}` },
      { kind: 'alias', address: `ασ@${domain.name}` },
    ]);
  });

  it('mail to ΑΣ and to ας reaches the one mailbox ασ', async () => {
    const { domain, box } = await mailboxOn('ασ');
    for (const form of ['ΑΣ', 'ας']) {
      const report = await db.aether.mail.deliverInbound({
        recipients: [`${form}@${domain.name}`],
        message: message({ subject: `to ${form}` }),
      });
      expect(report.delivered).toEqual([{ mailboxId: box.id, address: box.address, emailId: expect.any(String) }]);
    }
    expect(await emailsIn(box.id)).toEqual([{ subject: 'to ΑΣ' }, { subject: 'to ας' }]);
  });
});

describe('logins are one by case fold', () => {
  it('registering ας@x then ΑΣ@x is EMAIL_TAKEN, nothing written, and every case form signs in', async () => {
    const first = await registerUser(db, 'ας@fold.test');
    expect(first.email).toBe('ασ@fold.test');
    for (const form of ['ΑΣ@fold.test', 'ασ@FOLD.test']) {
      await expectRefused(db, 'EMAIL_TAKEN', () => registerUser(db, form));
    }
    for (const form of ['ΑΣ@fold.test', 'ας@fold.test', 'ασ@fold.test', 'Ας@Fold.Test']) {
      expect((await db.aether.users.authenticate({ email: form, password: PASSWORD })).id).toBe(first.id);
    }
    expect(await db.sql(`select id, email from "user" where email like '%@fold.test'`)).toEqual([
      { id: first.id, email: 'ασ@fold.test' },
    ]);
  });

  it('an unfinished raw insert of ασ holds a registration of ας on the unique key; after its commit: EMAIL_TAKEN', async () => {
    const holder = await inspector().connect();
    try {
      await holder.query('begin');
      await holder.query(
        `insert into "user" (id, email, password_hash, status, created_at, updated_at, version)
         values (gen_random_uuid(), 'ασ@held.test', 'x', 'active', now(), now(), 1)`,
      );
      const registering = registerUser(db, 'ας@held.test').catch((e: unknown) => e);
      await untilSomeoneWaitsForALock();
      await holder.query('commit');
      expect(await registering).toMatchObject({ code: 'EMAIL_TAKEN' });
    } finally {
      await holder.query('rollback').catch(() => {});
      holder.release();
    }
    expect(await db.sql(`select email from "user" where email like '%@held.test'`)).toEqual([
      { email: 'ασ@held.test' },
    ]);
  });

  it('a burst of registrations of every case form of one login: exactly one wins', async () => {
    const forms = ['ασ', 'ας', 'ΑΣ', 'Ας', 'αΣ'].flatMap((l) => [`${l}@burst.test`, `${l}@BURST.test`]);
    const results = await Promise.allSettled(forms.map((form) => registerUser(db, form)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'EMAIL_TAKEN' });
    expect(await db.sql(`select email from "user" where email like '%@burst.test'`)).toEqual([
      { email: 'ασ@burst.test' },
    ]);
  });
});

describe('the database refuses an address or login that is not case-folded', () => {
  const unfolded = ['ας', 'ΑΣ', 'Straße', 'straße', 'ǅ', 'ǆ', 'ꭰ', 'ｂｏｘ', 'e\u0301', 'a\u034fb', 'ẞ', '𐐀'];
  const folded = ['ασ', 'strasse', 'dž', 'Ꭰ', 'box', 'é', 'ab', 'ss', '𐐨', 'kız', 'i\u0307'];

  it('raw SQL as the owner: every unfolded form is refused by the check, every folded one accepted', async () => {
    const { domain } = await ownerWithDomain(db);
    for (const local of unfolded) {
      expect(
        await refusal(
          `insert into address (id, kind, address, domain_id, owner_id, domain_name, created_at, status, version)
           values (gen_random_uuid(), 'mailbox', $1, $2, (select owner_id from domain where id = $2), (select name from domain where id = $2), now(), 'active', 1)`,
          [`${local}@${domain.name}`, domain.id],
        ),
      ).toEqual({ code: '23514', constraint: 'address_normalised' });
      expect(
        await refusal(
          `insert into "user" (id, email, password_hash, status, created_at, updated_at, version)
           values (gen_random_uuid(), $1, 'x', 'active', now(), now(), 1)`,
          [`${local}@raw.test`],
        ),
      ).toEqual({ code: '23514', constraint: 'user_email_normalised' });
    }
    expect(await db.sql(`select count(*)::int as n from address where domain_id = $1`, [domain.id])).toEqual([
      { n: 0 },
    ]);
    expect(await db.sql(`select count(*)::int as n from "user" where email like '%@raw.test'`)).toEqual([{ n: 0 }]);

    for (const local of folded) {
      await db.sql(
        `insert into "user" (id, email, password_hash, status, created_at, updated_at, version)
         values (gen_random_uuid(), $1, 'x', 'active', now(), now(), 1)`,
        [`${local}@raw.test`],
      );
    }
    expect(
      (await db.sql<{ email: string }>(`select email from "user" where email like '%@raw.test'`))
        .map((r) => r.email)
        .sort(),
    ).toEqual(folded.map((l) => `${l}@raw.test`).sort());
  });

  it('a write through the ORM that skips the domain gets the translated INVALID_EMAIL_ADDRESS, nothing written', async () => {
    const { domain, box } = await mailboxOn('plain');
    const user = await registerUser(db, 'plain@orm.test');
    await expectRefused(db, 'INVALID_EMAIL_ADDRESS', () =>
      db.aether.unitOfWork((em) => em.nativeUpdate(User, { id: user.id }, { email: 'straße@orm.test' })),
    );
    await expectRefused(db, 'INVALID_EMAIL_ADDRESS', () =>
      db.aether.unitOfWork((em) => em.nativeUpdate(Mailbox, { id: box.id }, { address: `ας@${domain.name}` })),
    );
    expect(await db.sql(`select email from "user" where id = $1`, [user.id])).toEqual([{ email: 'plain@orm.test' }]);
    expect(await db.sql(`select address from address where id = $1`, [box.id])).toEqual([
      { address: `plain@${domain.name}` },
    ]);
  });
});

describe('folder names by case fold', () => {
  it('a folder may be renamed to another case of its own name, and the new name is stored', async () => {
    const { owner, box } = await mailboxOn('folders');
    const work = await db.aether.mailboxes.createFolder(owner.id, box.id, 'Work');
    const renamed = await db.aether.mailboxes.renameFolder(owner.id, box.id, work.id, 'WORK');
    expect(renamed.path).toBe('WORK');
    expect(await db.sql(`select path from folder where id = $1`, [work.id])).toEqual([{ path: 'WORK' }]);
    await db.aether.mailboxes.renameFolder(owner.id, box.id, work.id, 'work');
    expect(await db.sql(`select path from folder where id = $1`, [work.id])).toEqual([{ path: 'work' }]);
  });

  it('renaming to the name of another folder (inbox) or a case fold of one (STRASSE) is still refused', async () => {
    const { owner, box } = await mailboxOn('folders2');
    const work = await db.aether.mailboxes.createFolder(owner.id, box.id, 'Work');
    await db.aether.mailboxes.createFolder(owner.id, box.id, 'Straße');
    await expectRefused(db, 'INVALID_FOLDER_PATH', () =>
      db.aether.mailboxes.renameFolder(owner.id, box.id, work.id, 'inbox'),
    );
    await expectRefused(db, 'FOLDER_EXISTS', () =>
      db.aether.mailboxes.renameFolder(owner.id, box.id, work.id, 'STRASSE'),
    );
    await expectRefused(db, 'FOLDER_EXISTS', () => db.aether.mailboxes.createFolder(owner.id, box.id, 'strasse'));
    await expectRefused(db, 'FOLDER_EXISTS', () => db.aether.mailboxes.createFolder(owner.id, box.id, 'Archive'));
    expect(await db.sql(`select path from folder where id = $1`, [work.id])).toEqual([{ path: 'Work' }]);
  });
});

describe('folder names that are one by case fold but not by lower()', () => {
  const foldersNamed = async (mailboxId: string) =>
    (
      await db.sql<{ path: string }>(`select path from folder where mailbox_id = $1 and role is null order by path`, [
        mailboxId,
      ])
    ).map((r) => r.path);

  it('created at once, held at the mailbox row: one is created, the other is FOLDER_EXISTS', async () => {
    const { owner, box } = await mailboxOn('foldrace');
    const held = await hold(db, [['select id from address where id = $1 for update', [box.id]]]);
    const creations = ['Straße', 'STRASSE'].map((path) =>
      outcome(db.aether.mailboxes.createFolder(owner.id, box.id, path)),
    );
    await waitForLockWaiters(db, 2);
    await held.commit();
    const results = await Promise.all(creations);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(['FOLDER_EXISTS']);
    expect(await foldersNamed(box.id)).toHaveLength(1);
  });

  it('as an unsynchronised burst of every spelling: exactly one folder', async () => {
    const { owner, box } = await mailboxOn('foldburst');
    const spellings = ['Straße', 'STRASSE', 'strasse', 'STRAẞE', 'Strasse', 'straße'];
    const results = await Promise.all(
      spellings.map((path) => outcome(db.aether.mailboxes.createFolder(owner.id, box.id, path))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results) if (!r.ok) expect(r.code).toBe('FOLDER_EXISTS');
    expect(await foldersNamed(box.id)).toHaveLength(1);
  });
});
