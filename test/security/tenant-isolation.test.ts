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
import { withClient } from '../../src/infrastructure/database/admin-client.js';
import { toPgConfig } from '../../src/infrastructure/database/database-url.js';
import { ACTING_USER_SETTING } from '../../src/infrastructure/persistence/mappings/tenant-policy.js';
import { APPLICATION_ROLE } from '../support/databases.js';
import { digestRows } from '../support/digest.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain, registerUser } from '../support/world.js';

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
      `update "${schema}".mikro_orm_migrations set name = 'x'`,
      `delete from "${schema}".mikro_orm_migrations`,
    ];
    for (const sql of statements) {
      const error = await db.aether.unitOfWork((em) => em.execute(sql)).catch((e: unknown) => e);
      expect(error, sql).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(String((error as Error & { cause?: { code?: string } }).cause?.code), sql).toBe('42501');
    }
    expect(await db.sql(`select to_regclass('email') is not null as present`)).toEqual([{ present: true }]);
    // only which migrations ran may be read: how openAether() tells an outdated schema from an outage
    const names = await db.aether.unitOfWork((em) =>
      em.execute<{ name: string }[]>(`select name from "${schema}".mikro_orm_migrations`),
    );
    expect(names.length).toBeGreaterThan(0);
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

describe('the message store under row-level security', () => {
  it("a confined purge removes its mailbox's stored message with the last copy, and leaves another tenant's copy of the same bytes", async () => {
    const a = await tenantWithMail();
    const b = await tenantWithMail();
    const raw = Buffer.from(`Subject: both\r\nMessage-ID: <${a.box.id}@outside.test>\r\n\r\nthe same bytes\r\n`);
    await db.aether.mail.deliverInbound({ recipients: [a.box.address, b.box.address], message: raw });
    const stored = () =>
      db.sql<{ mailbox_id: string; owner_id: string }>(
        `select mailbox_id, owner_id from message where content_hash = encode(sha256($1::bytea), 'hex') order by owner_id`,
        [raw],
      );
    expect(await stored()).toEqual(
      [
        { mailbox_id: a.box.id, owner_id: a.owner.id },
        { mailbox_id: b.box.id, owner_id: b.owner.id },
      ].sort((x, y) => (x.owner_id < y.owner_id ? -1 : 1)),
    );
    const [email] = await db.sql<{ id: string }>(
      `select id from email where mailbox_id = $1 and content_hash = encode(sha256($2::bytea), 'hex')`,
      [a.box.id, raw],
    );
    await db.aether.mail.purge(a.owner.id, a.box.id, email!.id);
    expect(await stored()).toEqual([{ mailbox_id: b.box.id, owner_id: b.owner.id }]);
    // a confined unit of work sees its own stored messages only
    const seen = await db.aether.unitOfWork(
      (em) => em.execute<{ mailbox_id: string }[]>('select distinct mailbox_id from message'),
      { actingUserId: b.owner.id },
    );
    expect(seen).toEqual([{ mailbox_id: b.box.id }]);
  });
});

describe('tenant isolation on every relation the application role can name', () => {
  type Relation = { name: string; kind: string; column: string; partition: boolean };

  /** Every relation of our schema (partitions included) the application role has any privilege on. */
  async function reachableRelations(): Promise<Relation[]> {
    return db.sql<Relation>(
      `select c.relname as name, c.relkind::text as kind, c.relispartition as partition,
              (select a.attname from pg_attribute a
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity = ''
                order by a.attnum limit 1) as column
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')
         and (has_table_privilege($2, c.oid, 'select, insert, update, delete, truncate, references, trigger')
              or has_any_column_privilege($2, c.oid, 'select, insert, update, references'))
       order by c.relname`,
      [db.settings.direct.schema, APPLICATION_ROLE.role],
    );
  }

  it("confined to one user, no select, update or delete on any relation reaches another tenant's row", async () => {
    const a = await registerUser(db);
    const b = await tenantWithMail();
    const bIds = [b.owner.id, b.domain.id, b.box.id];
    const before = await digestRows(db, { mentioning: bIds });
    expect(before.email!.rows).toBe(2);

    const relations = await reachableRelations();
    expect(relations.length).toBeGreaterThan(0);
    expect(relations.map((r) => r.name)).toContain('email');
    // partitions are reached through their parent only (grantApplicationRole revokes them)
    expect(relations.filter((r) => r.partition).map((r) => r.name)).toEqual([]);

    const schema = db.settings.direct.schema;
    const leaks: string[] = [];
    await withClient(toPgConfig(db.settings.application), async (client) => {
      for (const { name, column } of relations) {
        const rel = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
        const col = client.escapeIdentifier(column);
        const statements = {
          select: `select to_jsonb(t)::text as row from ${rel} t`,
          update: `update ${rel} as t set ${col} = t.${col} returning to_jsonb(t)::text as row`,
          delete: `delete from ${rel} as t returning to_jsonb(t)::text as row`,
        };
        await client.query('begin');
        await client.query(`select set_config('${ACTING_USER_SETTING}', $1, true)`, [a.id]);
        for (const [verb, sql] of Object.entries(statements)) {
          await client.query('savepoint attempt');
          try {
            const { rows } = await client.query<{ row: string }>(sql);
            await client.query('release savepoint attempt');
            const theirs = rows.filter((r) => bIds.some((id) => r.row.includes(id)));
            if (theirs.length > 0) leaks.push(`${verb} ${name}: ${theirs.length} of B's rows`);
          } catch (error) {
            await client.query('rollback to savepoint attempt');
            // permission denied holds the rule; anything else is a failure of this test to say so
            expect((error as { code?: string }).code, `${verb} ${name}: ${String(error)}`).toBe('42501');
          }
        }
        await client.query('commit'); // whatever got through is kept, so the digest below would see it
      }
    });
    expect(leaks).toEqual([]);
    expect(await digestRows(db, { mentioning: bIds })).toEqual(before);
  });

  it('every partition has row-level security and the same policies as its parent', async () => {
    const rows = await db.sql<{ child: string; parent: string; rls: boolean[]; own: string[]; parents: string[] }>(
      `with policies as (
         select p.polrelid as rel, array_agg(concat_ws(' ', p.polname, p.polcmd, p.polpermissive, p.polroles::text,
                  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) order by p.polname) as list
         from pg_policy p group by p.polrelid)
       select child.relname as child, parent.relname as parent,
              array[child.relrowsecurity, parent.relrowsecurity, child.relforcerowsecurity = parent.relforcerowsecurity] as rls,
              coalesce((select list from policies where rel = child.oid), '{}') as own,
              coalesce((select list from policies where rel = parent.oid), '{}') as parents
       from pg_inherits i
       join pg_class child on child.oid = i.inhrelid
       join pg_class parent on parent.oid = i.inhparent
       join pg_namespace n on n.oid = parent.relnamespace
       where n.nspname = $1 and parent.relrowsecurity
       order by child.relname`,
      [db.settings.direct.schema],
    );
    expect(rows.filter((r) => r.parent === 'email')).toHaveLength(16);
    for (const r of rows) {
      expect(r.rls, `${r.child} of ${r.parent}`).toEqual([true, true, true]);
      expect(r.own, `${r.child} of ${r.parent}`).toEqual(r.parents);
      expect(r.parents.length).toBeGreaterThan(0);
    }
  });
});
