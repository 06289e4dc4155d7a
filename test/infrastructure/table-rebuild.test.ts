/**
 * The path from local partitioning to shards (src/infrastructure/database/table-rebuild.ts): on a
 * populated database, `email` rebuilt plain (what `npm run db:distribute` does before Citus
 * distributes it) and hash-partitioned again keeps every row and everything the catalog says about
 * it, and the application works on either.
 */
import { describe, expect, it } from 'vitest';
import { DISTRIBUTION_PLAN, distributionRuleViolations } from '../../src/infrastructure/database/distribution-plan.js';
import { isPartitioned, rebuildTable } from '../../src/infrastructure/database/table-rebuild.js';
import { withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import { digestRows } from '../support/digest.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();
const schemaOf = async () => (await db.sql<{ s: string }>('select current_schema() as s'))[0]!.s;

/** What the catalog holds about email and its partitions, by name (oids aside). */
async function catalogOf(): Promise<Record<string, unknown>> {
  const q = (text: string) => db.sql(text);
  const family = `(select 'email'::regclass::oid union all select inhrelid from pg_inherits where inhparent = 'email'::regclass)`;
  return {
    tables: await q(
      `select relname, relkind, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) as owner,
              pg_get_expr(relpartbound, oid) as bound, relacl::text as acl
         from pg_class where oid in ${family} order by relname`,
    ),
    columns: await q(
      `select attname, format_type(atttypid, atttypmod) as type, attnotnull, attgenerated, attidentity,
              pg_get_expr(d.adbin, d.adrelid) as default
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where attrelid = 'email'::regclass and attnum > 0 and not attisdropped order by attnum`,
    ),
    constraints: await q(
      `select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid in ${family} or confrelid = 'email'::regclass order by 1, 2`,
    ),
    indexes: await q(
      `select indrelid::regclass::text as tbl, indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as def
         from pg_index where indrelid in ${family} order by 1, 2`,
    ),
    triggers: await q(
      `select tgrelid::regclass::text as tbl, tgname, pg_get_triggerdef(oid) as def from pg_trigger
        where tgrelid in ${family} and not tgisinternal order by 1, 2`,
    ),
    policies: await q(
      `select polrelid::regclass::text as tbl, polname, polcmd, polpermissive, polroles::regrole[]::text as roles,
              pg_get_expr(polqual, polrelid) as using, pg_get_expr(polwithcheck, polrelid) as check
         from pg_policy where polrelid in ${family} order by 1, 2`,
    ),
    // other tables' policies, some of which read email (message's, today): dropped and put back
    otherPolicies: await q(
      `select tablename, policyname, cmd, roles::text, qual, with_check from pg_policies
        where schemaname = current_schema() and tablename not in (select relname from pg_class where oid in ${family})
        order by 1, 2`,
    ),
  };
}

describe('rebuilding email plain and partitioned again (the path to shards)', () => {
  it('keeps every row, key, index, trigger, policy and grant, and the application works throughout', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const boxes = await Promise.all(
      ['a', 'b', 'c'].map((l) => db.aether.mailboxes.create(owner.id, { address: `${l}@${domain.name}` })),
    );
    for (let i = 0; i < 30; i++) {
      await db.aether.mail.deliverInbound({
        recipients: [boxes[i % 3]!.address],
        message: message({ subject: `before ${i}` }),
      });
    }
    const schema = await schemaOf();
    const catalog = await catalogOf();
    const populated = await digestRows(db);
    expect(populated.email!.rows).toBe(30);
    // Citus's rule as it stands, without the plan's promise to rebuild email first
    const { partitionsBecomeShards: _, ...email } = DISTRIBUTION_PLAN.email as { partitionsBecomeShards?: true };
    const plan = { ...DISTRIBUTION_PLAN, email: email as (typeof DISTRIBUTION_PLAN)['email'] };
    const violations = () => distributionRuleViolations((text, params) => db.sql(text, params), schema, plan);
    expect(await violations()).toContain('table email is locally partitioned');

    const copied = await withAdminClient(db.settings.direct, (client) =>
      rebuildTable(client, schema, 'email', { kind: 'plain' }),
    );
    expect(copied).toBe(30);
    expect(await withAdminClient(db.settings.direct, (c) => isPartitioned(c, schema, 'email'))).toBe(false);
    expect(await digestRows(db)).toEqual(populated);
    const plain = await catalogOf();
    // the same table but for its partitions: one relation, the same columns, keys, indexes, triggers and policies
    expect(plain.tables).toEqual([
      expect.objectContaining({ relname: 'email', relkind: 'r', relrowsecurity: true, bound: null }),
    ]);
    expect((plain.tables as { acl: string }[])[0]!.acl).toBe(
      (catalog.tables as { relname: string; acl: string }[]).find((t) => t.relname === 'email')!.acl,
    );
    expect(plain.columns).toEqual(catalog.columns);
    const onParent = (rows: unknown) => (rows as { tbl: string; def?: string }[]).filter((r) => r.tbl === 'email');
    expect(plain.constraints).toEqual(onParent(catalog.constraints));
    expect(plain.triggers).toEqual(onParent(catalog.triggers));
    expect(plain.policies).toEqual(onParent(catalog.policies));
    expect(plain.otherPolicies).toEqual(catalog.otherPolicies);
    // a partitioned table's index is its own only (`ON ONLY`), with one per partition beside it
    expect(plain.indexes).toEqual(
      onParent(catalog.indexes).map((i) => ({ ...i, def: i.def!.replace(' ON ONLY ', ' ON ') })),
    );
    expect(await violations()).not.toContain('table email is locally partitioned');

    // the application, as its least-privilege role, on the plain table: a delivery, a page, a refusal
    await db.aether.mail.deliverInbound({ recipients: [boxes[0]!.address], message: message({ subject: 'plain' }) });
    const inbox = (await db.aether.mailboxes.get(owner.id, boxes[0]!.id)).folders!.find((f) => f.role === 'inbox')!;
    const page = await db.aether.mail.listFolderPage(owner.id, {
      mailboxId: boxes[0]!.id,
      folderId: inbox.id,
      limit: 3,
    });
    expect(page.items[0]!.subject).toBe('plain');
    await expectRefused(db, 'INVALID_EMAIL_ADDRESS', () =>
      db.aether.mail.deliverInbound({ recipients: ['not an address'], message: message() }),
    );
    const withPlainWrite = await digestRows(db);

    await withAdminClient(db.settings.direct, (client) =>
      rebuildTable(client, schema, 'email', { kind: 'hash', column: 'mailbox_id', partitions: 16 }),
    );
    expect(await digestRows(db)).toEqual(withPlainWrite);
    // exactly the catalog the migrations made
    expect(await catalogOf()).toEqual(catalog);
    await db.aether.mail.deliverInbound({ recipients: [boxes[1]!.address], message: message({ subject: 'again' }) });
    const [row] = await db.sql<{ n: number }>(`select count(*)::int as n from email`);
    expect(row!.n).toBe(32);
  });

  it('changes nothing when a step fails: the rebuild is one transaction', async () => {
    const schema = await schemaOf();
    const before = await catalogOf();
    const rows = await digestRows(db);
    await expect(
      withAdminClient(db.settings.direct, (client) =>
        rebuildTable(client, schema, 'email', { kind: 'hash', column: 'no_such_column', partitions: 4 }),
      ),
    ).rejects.toThrow(/no_such_column/);
    expect(await catalogOf()).toEqual(before);
    expect(await digestRows(db)).toEqual(rows);
  });
});
