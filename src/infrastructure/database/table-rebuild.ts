/**
 * The path from local partitioning to shards (issue #19): rebuilds a table as a plain table or as a
 * hash-partitioned one, in one transaction, keeping every row and everything the catalog holds about
 * it — columns and their defaults, keys, checks, foreign keys both ways, indexes, triggers, row-level
 * security and its policies, and grants. What it keeps is read from the catalog, so a later migration's
 * constraint or index comes along without a change here.
 *
 * Citus shards are the partitions of a distributed message store, and a locally partitioned table in
 * the foreign-key graph makes `create_reference_table` fail, so `npm run db:distribute` rebuilds
 * `email` plain before it distributes anything. One PostgreSQL keeps its 16 hash partitions (the
 * migrations make them, the partition tests hold them), and `partitionByHash` is the way back.
 * test/infrastructure/table-rebuild.test.ts takes a populated database both ways and compares rows
 * and catalog.
 *
 * It holds an ACCESS EXCLUSIVE lock while it copies: a maintenance window's job, as the partition
 * migration was.
 */
import type pg from 'pg';

type Client = Pick<pg.Client, 'query'>;

/** How a table is split: not at all, or into `partitions` by the hash of `column`. */
export type TableLayout = { kind: 'plain' } | { kind: 'hash'; column: string; partitions: number };

interface Shape {
  columns: string[];
  constraints: { name: string; def: string; type: string }[];
  inbound: { table: string; name: string; def: string }[];
  /** Policies of other tables whose expressions name this one (they must be dropped with it). */
  dependentPolicies: { table: string; oid: number }[];
  indexes: string[];
  triggers: string[];
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  policies: {
    name: string;
    permissive: boolean;
    command: string;
    roles: string[];
    using: string | null;
    check: string | null;
  }[];
  grants: { grantee: string; privileges: string[] }[];
  owner: string;
}

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

async function rows<T>(client: Client, text: string, params: unknown[]): Promise<T[]> {
  return (await client.query(text, params)).rows as T[];
}

async function shapeOf(client: Client, oid: number): Promise<Shape> {
  const [rel] = await rows<{ relrowsecurity: boolean; relforcerowsecurity: boolean; owner: string }>(
    client,
    `select relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) as owner from pg_class where oid = $1`,
    [oid],
  );
  return {
    // the columns an insert may write (generated ones are computed again)
    columns: (
      await rows<{ name: string }>(
        client,
        `select attname as name from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped and attgenerated = '' order by attnum`,
        [oid],
      )
    ).map((c) => c.name),
    // keys first (foreign keys and exclusions may lean on them), then the rest
    constraints: await rows(
      client,
      `select conname as name, pg_get_constraintdef(oid) as def, contype::text as type from pg_constraint
        where conrelid = $1 and conparentid = 0 and contype in ('p', 'u', 'c', 'f', 'x')
        order by case contype when 'p' then 0 when 'u' then 1 when 'c' then 2 else 3 end, conname`,
      [oid],
    ),
    inbound: await rows(
      client,
      `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
        where confrelid = $1 and contype = 'f' and conrelid <> $1 and conparentid = 0 order by conname`,
      [oid],
    ),
    dependentPolicies: await rows(
      client,
      `select distinct p.polrelid::regclass::text as table, p.polrelid::int as oid from pg_depend d
         join pg_policy p on p.oid = d.objid
        where d.classid = 'pg_policy'::regclass and d.refobjid = $1 and p.polrelid <> $1
          and p.polrelid not in (select inhrelid from pg_inherits where inhparent = $1)
        order by 1`,
      [oid],
    ),
    // indexes that no constraint made (those come back with their constraint)
    indexes: (
      await rows<{ def: string }>(
        client,
        `select pg_get_indexdef(i.indexrelid) as def from pg_index i
          where i.indrelid = $1 and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = $1)
          order by i.indexrelid::regclass::text`,
        [oid],
      )
    )
      // a partitioned table's own index reads `ON ONLY`; rebuilt, it is created on the table and its partitions
      .map((i) => i.def.replace(/ ON ONLY /, ' ON ')),
    triggers: (
      await rows<{ def: string }>(
        client,
        `select pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = $1 and not tgisinternal and tgparentid = 0 order by tgname`,
        [oid],
      )
    ).map((t) => t.def),
    rowSecurity: rel!.relrowsecurity,
    forceRowSecurity: rel!.relforcerowsecurity,
    policies: await policiesOf(client, oid),
    grants: await rows(
      client,
      `select case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee,
              array_agg(a.privilege_type order by a.privilege_type) as privileges
         from pg_class c, aclexplode(c.relacl) a
        where c.oid = $1 and a.grantee <> c.relowner group by a.grantee order by 1`,
      [oid],
    ),
    owner: rel!.owner,
  };
}

async function policiesOf(client: Client, oid: number): Promise<Shape['policies']> {
  return rows(
    client,
    `select polname as name, polpermissive as permissive,
            case polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end as command,
            array(select case when r = 0 then 'public' else pg_get_userbyid(r)::text end from unnest(polroles) r order by 1)::text[] as roles,
            pg_get_expr(polqual, polrelid) as using, pg_get_expr(polwithcheck, polrelid) as check
       from pg_policy where polrelid = $1 order by polname`,
    [oid],
  );
}

/** Gives `table` (an unquoted, already schema-qualified-by-search-path name) the policies of `shape`. */
async function applySecurity(client: Client, table: string, shape: Shape): Promise<void> {
  if (shape.rowSecurity) await client.query(`alter table ${table} enable row level security`);
  if (shape.forceRowSecurity) await client.query(`alter table ${table} force row level security`);
  await createPolicies(client, table, shape.policies);
}

async function createPolicies(client: Client, table: string, policies: Shape['policies']): Promise<void> {
  for (const p of policies) {
    const roles = p.roles.map((r) => (r === 'public' ? 'public' : ident(r))).join(', ');
    await client.query(
      `create policy ${ident(p.name)} on ${table} as ${p.permissive ? 'permissive' : 'restrictive'} for ${p.command} to ${roles}` +
        (p.using ? ` using (${p.using})` : '') +
        (p.check ? ` with check (${p.check})` : ''),
    );
  }
}

/**
 * Rebuilds `table` of `schema` in the given layout, inside the caller's transaction (or its own).
 * Partitions are named `<table>_<remainder>` and carry row-level security with a copy of each of the
 * table's policies, and no grant of their own: roles reach their rows through the table (see
 * application-role.ts and the tenant policy migration). Returns the number of rows copied.
 */
export async function rebuildTable(
  client: Client,
  schema: string,
  table: string,
  layout: TableLayout,
): Promise<number> {
  const qualified = `${ident(schema)}.${ident(table)}`;
  const staging = `${ident(schema)}.${ident(`${table}__rebuild`)}`;
  await client.query('begin');
  try {
    await client.query(`lock table ${qualified} in access exclusive mode`);
    const [{ oid }] = (await rows<{ oid: number }>(client, `select $1::regclass::oid as oid`, [qualified])) as [
      { oid: number },
    ];
    const shape = await shapeOf(client, oid);
    const partitionClause = layout.kind === 'hash' ? ` partition by hash (${ident(layout.column)})` : '';
    await client.query(
      `create table ${staging} (like ${qualified} including defaults including generated including identity
        including storage including comments including compression including statistics)${partitionClause}`,
    );
    const partitions: string[] = [];
    if (layout.kind === 'hash') {
      for (let r = 0; r < layout.partitions; r++) {
        const name = `${ident(schema)}.${ident(`${table}__rebuild_${r}`)}`;
        await client.query(
          `create table ${name} partition of ${staging} for values with (modulus ${layout.partitions}, remainder ${r})`,
        );
        partitions.push(`${table}_${r}`);
      }
    }
    const columns = shape.columns.map(ident).join(', ');
    const copied = await client.query(`insert into ${staging} (${columns}) select ${columns} from ${qualified}`);

    for (const fk of shape.inbound) await client.query(`alter table ${fk.table} drop constraint ${ident(fk.name)}`);
    // other tables' policies that read this one (their oids stay: only the policies go and come back)
    const dependent: { table: string; policies: Shape['policies'] }[] = [];
    for (const d of shape.dependentPolicies) {
      const policies = await policiesOf(client, d.oid);
      dependent.push({ table: d.table, policies });
      for (const p of policies) await client.query(`drop policy ${ident(p.name)} on ${d.table}`);
    }
    await client.query(`drop table ${qualified}`);
    await client.query(`alter table ${staging} rename to ${ident(table)}`);
    for (let r = 0; r < partitions.length; r++) {
      await client.query(
        `alter table ${ident(schema)}.${ident(`${table}__rebuild_${r}`)} rename to ${ident(partitions[r]!)}`,
      );
    }
    await client.query(`alter table ${qualified} owner to ${ident(shape.owner)}`);

    for (const c of shape.constraints) {
      await client.query(`alter table ${qualified} add constraint ${ident(c.name)} ${c.def}`);
    }
    for (const def of shape.indexes) await client.query(def);
    for (const def of shape.triggers) await client.query(def);
    await applySecurity(client, qualified, shape);
    for (const g of shape.grants) {
      const grantee = g.grantee === 'public' ? 'public' : ident(g.grantee);
      await client.query(`grant ${g.privileges.join(', ')} on ${qualified} to ${grantee}`);
    }
    for (const name of partitions) {
      const partition = `${ident(schema)}.${ident(name)}`;
      await client.query(`alter table ${partition} owner to ${ident(shape.owner)}`);
      await applySecurity(client, partition, shape);
      // default privileges may have granted the new partitions to roles: take those back
      const { rows: granted } = await client.query<{ grantee: string }>(
        `select distinct case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee
           from pg_class c, aclexplode(c.relacl) a where c.oid = $1::regclass and a.grantee <> c.relowner`,
        [partition],
      );
      for (const { grantee } of granted) {
        await client.query(`revoke all on ${partition} from ${grantee === 'public' ? 'public' : ident(grantee)}`);
      }
    }
    for (const fk of shape.inbound) {
      await client.query(`alter table ${fk.table} add constraint ${ident(fk.name)} ${fk.def}`);
    }
    for (const d of dependent) await createPolicies(client, d.table, d.policies);
    await client.query('commit');
    return copied.rowCount ?? 0;
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

/** Whether `table` of `schema` is partitioned here. */
export async function isPartitioned(client: Client, schema: string, table: string): Promise<boolean> {
  const [row] = await rows<{ partitioned: boolean }>(
    client,
    `select c.relkind = 'p' as partitioned from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2`,
    [schema, table],
  );
  return row?.partitioned ?? false;
}
