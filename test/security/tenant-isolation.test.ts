/**
 * Least privilege and tenant isolation: the application runs as a role that can only touch rows,
 * and a unit of work confined to a user sees only that user's rows — even through a query that
 * forgot its filter.
 */
import { describe, expect, it } from 'vitest';
import { Domain } from '../../src/domain/domain.js';
import { Email } from '../../src/domain/email.js';
import { Folder } from '../../src/domain/folder.js';
import { Mailbox } from '../../src/domain/mailbox.js';
import { User } from '../../src/domain/user.js';
import { APPLICATION_ROLE } from '../support/databases.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ rowLevelSecurity: true });

async function tenantWithMail() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `me@${domain.name}` });
  await db.aether.mail.deliverMany(box.address, [message(), message()]);
  return { owner, domain, box };
}

describe('least privilege', () => {
  it('the application connects as a role that may only read and write rows', async () => {
    const [who] = await db.aether.unitOfWork((em) => em.execute<{ u: string }[]>('select current_user as u'));
    expect(who!.u).toBe(APPLICATION_ROLE.role);
    const schema = db.settings.direct.schema;
    const statements = [
      `drop table "${schema}".email`,
      `truncate "${schema}".email`,
      `alter table "${schema}"."user" add column x int`,
      `create table "${schema}".t (id int)`,
      `select * from "${schema}".mikro_orm_migrations`,
    ];
    for (const sql of statements) {
      const error = await db.aether.unitOfWork((em) => em.execute(sql)).catch((e: unknown) => e);
      expect(error, sql).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(String((error as Error & { cause?: { code?: string } }).cause?.code), sql).toBe('42501');
    }
    expect(await db.sql(`select to_regclass('email') is not null as present`)).toEqual([{ present: true }]);
  });
});

describe('tenant isolation with row-level security', () => {
  it("a confined unit of work sees only the acting user's rows, even without a filter", async () => {
    const a = await tenantWithMail();
    const b = await tenantWithMail();
    const seen = await db.aether.unitOfWork(
      async (em) => ({
        users: (await em.find(User, {})).map((u) => u.id),
        domains: (await em.find(Domain, {})).map((d) => d.id),
        mailboxes: (await em.find(Mailbox, {})).map((m) => m.id),
        folders: await em.count(Folder, {}),
        emails: (await em.find(Email, {})).map((e) => e.mailbox.id),
      }),
      { actingUserId: a.owner.id },
    );
    expect(seen.users).toEqual([a.owner.id]);
    expect(seen.domains).toEqual([a.domain.id]);
    expect(seen.mailboxes).toEqual([a.box.id]);
    expect(seen.folders).toBe(6);
    expect(new Set(seen.emails)).toEqual(new Set([a.box.id]));
    // unconfined (system work such as inbound delivery) sees everyone
    const all = await db.aether.unitOfWork((em) => em.count(Mailbox, { id: { $in: [a.box.id, b.box.id] } }));
    expect(all).toBe(2);
  });

  it("a confined unit of work cannot write into another tenant's rows", async () => {
    const a = await tenantWithMail();
    const b = await tenantWithMail();
    const [before] = await db.sql<{ n: number }>('select count(*)::int as n from email where mailbox_id = $1', [
      b.box.id,
    ]);
    const changed = await db.aether.unitOfWork(
      (em) => em.nativeUpdate(Email, { mailbox: b.box.id }, { subject: 'pwned' }),
      { actingUserId: a.owner.id },
    );
    expect(changed).toBe(0);
    expect(
      await db.sql(`select count(*)::int as n from email where mailbox_id = $1 and subject = 'pwned'`, [b.box.id]),
    ).toEqual([{ n: 0 }]);
    expect(
      (await db.sql<{ n: number }>('select count(*)::int as n from email where mailbox_id = $1', [b.box.id]))[0],
    ).toEqual(before);
  });

  it('the services confine their read-only use cases', async () => {
    const a = await tenantWithMail();
    const b = await tenantWithMail();
    const inbox = (await db.aether.mailboxes.get(b.owner.id, b.box.id)).folders!.find((f) => f.role === 'inbox')!;
    await expect(db.aether.mailboxes.get(a.owner.id, b.box.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      db.aether.mail.listFolderPage(a.owner.id, { mailboxId: b.box.id, folderId: inbox.id }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(db.aether.domains.get(a.owner.id, b.domain.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await db.aether.domains.list(a.owner.id)).map((d) => d.id)).toEqual([a.domain.id]);
    const page = await db.aether.mail.listFolderPage(b.owner.id, { mailboxId: b.box.id, folderId: inbox.id });
    expect(page.items).toHaveLength(2);
  });
});
