/**
 * The distribution plan of docs/scaling.md, in one place: which table Citus gets as a reference table,
 * which it distributes (by which column, co-located with which table) and which stays on the
 * coordinator only. The plan test (test/infrastructure/distribution-plan.test.ts) holds the live
 * schema to Citus's rules through `distributionRuleViolations`, and `npm run db:distribute` runs the
 * plan's calls in `distributionOrder` — so the schema, the test and the script cannot drift apart.
 *
 * The rules are the ones a real Citus 13.2 enforces when it creates reference and distributed tables
 * (issue #19): unique keys and foreign keys between distributed tables include the distribution
 * column (and do not cascade an update of it); no foreign key from a reference table to a distributed
 * one; no subquery in a policy; no
 * trigger; no sequence-backed default; no local partitioning on a table in the foreign-key graph.
 */

/** Where one table lives on Citus. */
export type TablePlacement =
  | { readonly kind: 'reference'; readonly why: string }
  | {
      readonly kind: 'distributed';
      /** the distribution column */
      readonly column: string;
      /** the table whose shards this one's shards sit beside; absent for the first of a group */
      readonly colocateWith?: string;
      /**
       * Its local partitions give way to shards: `db:distribute` rebuilds it as a plain table
       * (table-rebuild.ts, every row, key, index, trigger, policy and grant kept) before Citus sees it.
       */
      readonly partitionsBecomeShards?: true;
      readonly why: string;
    }
  | { readonly kind: 'local'; readonly why: string };

/** Every table of the schema (partitions aside), by name. A table missing here fails the plan test. */
export const DISTRIBUTION_PLAN: Readonly<Record<string, TablePlacement>> = {
  user: { kind: 'reference', why: 'small directory, read on every login and ownership check' },
  domain: { kind: 'reference', why: 'small, read on every delivery (verified? suspended?)' },
  address: { kind: 'reference', why: 'the directory every delivery resolves its recipients in' },
  mailbox_password: { kind: 'reference', why: 'read on every login, joined with the directory by the lookup views' },
  app_password: { kind: 'reference', why: 'read on every login, joined with the directory by the lookup views' },
  login_throttle: { kind: 'reference', why: 'read and written by the login path on any node' },
  folder: { kind: 'distributed', column: 'mailbox_id', why: "a mailbox's folders live on its mail's shard" },
  email: {
    kind: 'distributed',
    column: 'mailbox_id',
    colocateWith: 'folder',
    partitionsBecomeShards: true,
    why: 'every operation on email names its mailbox: a single-shard query',
  },
  mailbox_state: {
    kind: 'distributed',
    column: 'mailbox_id',
    colocateWith: 'folder',
    why: "the mailbox's modseq counter, written in the same single-shard transactions as its mail",
  },
  mailbox_usage: {
    kind: 'distributed',
    column: 'mailbox_id',
    colocateWith: 'folder',
    why: "the mailbox's quota and bytes used, locked and written by every delivery with its mail",
  },
  mail_change: {
    kind: 'distributed',
    column: 'mailbox_id',
    colocateWith: 'folder',
    why: "the mailbox's change journal, written with its mail",
  },
  delivery_receipt: {
    kind: 'distributed',
    column: 'mailbox_id',
    colocateWith: 'folder',
    why: "the mailbox's LMTP delivery receipts, written with its mail",
  },
  message: {
    kind: 'distributed',
    column: 'mailbox_id',
    colocateWith: 'folder',
    why: "the mailbox's stored messages (once per mailbox and hash), read and written with its mail",
  },
  outbox_event: {
    kind: 'distributed',
    column: 'ordering_key',
    why: 'events are ordered per key only; one relay leader per shard group',
  },
  outbox_key: {
    kind: 'distributed',
    column: 'ordering_key',
    colocateWith: 'outbox_event',
    why: "each key's position counter, raised with the key's events on their shard",
  },
  outbound_message: {
    kind: 'reference',
    why: 'claimed across tenants by any relay, oldest due first: small (only what waits to go out, its bytes released when it finishes)',
  },
  mikro_orm_migrations: {
    kind: 'local',
    why: "the migrator's own bookkeeping: migrations run on the coordinator, which propagates their DDL",
  },
};

/** Runs one query and returns its rows (a pg client's `query(...).rows`, or the tests' `db.sql`). */
export type RowQuery = <T>(text: string, params: unknown[]) => Promise<T[]>;

const placed = (plan: Readonly<Record<string, TablePlacement>>, kind: TablePlacement['kind']) =>
  Object.keys(plan).filter((t) => plan[t]!.kind === kind);

/** The co-location group of a distributed table: the table it is co-located with, followed to the root. */
function colocationGroup(plan: Readonly<Record<string, TablePlacement>>, table: string): string {
  let current = table;
  for (let hops = 0; hops < 100; hops++) {
    const p = plan[current];
    if (p?.kind !== 'distributed' || !p.colocateWith) return current;
    current = p.colocateWith;
  }
  return current;
}

/**
 * A policy expression holds a subquery when its parse tree has a SubLink, or when its deparsed text
 * says SELECT outside string literals and quoted names (both, so neither a literal 'select' nor a
 * change in how PostgreSQL prints trees can hide one).
 */
export function expressionHasSubquery(deparsed: string | null, nodeTree: string | null): boolean {
  if (nodeTree && /\{SUBLINK\b/i.test(nodeTree)) return true;
  if (!deparsed) return false;
  const bare = deparsed.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
  return /(^|[^a-z0-9_$])select([^a-z0-9_$]|$)/i.test(bare);
}

/**
 * Everything in the live schema that Citus would refuse under `plan`, one line each (empty when the
 * schema is distributable as planned). Reads the catalogs of `schema` only.
 */
export async function distributionRuleViolations(
  query: RowQuery,
  schema: string,
  plan: Readonly<Record<string, TablePlacement>> = DISTRIBUTION_PLAN,
): Promise<string[]> {
  const violations: string[] = [];
  const distributed = placed(plan, 'distributed');
  const reference = placed(plan, 'reference');
  const onCitus = [...distributed, ...reference];
  const column = (t: string) => {
    const p = plan[t]!;
    return p.kind === 'distributed' ? p.column : undefined;
  };

  // every table is planned, every planned table exists
  const tables = await query<{ name: string; kind: string }>(
    `select c.relname as name, c.relkind::text as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition`,
    [schema],
  );
  const existing = new Set(tables.map((t) => t.name));
  for (const t of tables) if (!plan[t.name]) violations.push(`table ${t.name} is not in the distribution plan`);
  for (const t of Object.keys(plan)) if (!existing.has(t)) violations.push(`planned table ${t} does not exist`);
  for (const t of tables) {
    // a locally partitioned table in the foreign-key graph breaks create_reference_table (issue #19)
    // (unless the distribution rebuilds it plain first)
    const placement = plan[t.name];
    const rebuilt = placement?.kind === 'distributed' && placement.partitionsBecomeShards;
    if (t.kind === 'p' && onCitus.includes(t.name) && !rebuilt)
      violations.push(`table ${t.name} is locally partitioned`);
  }

  // distributed tables exist with their distribution column; co-located tables share its type
  const columns = await query<{ tbl: string; col: string; type: string }>(
    `select c.relname as tbl, a.attname as col, format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = any($2) and a.attnum > 0 and not a.attisdropped`,
    [schema, distributed],
  );
  const typeOf = (t: string, c: string) => columns.find((x) => x.tbl === t && x.col === c)?.type;
  for (const t of distributed) {
    if (!existing.has(t)) continue;
    if (!typeOf(t, column(t)!)) violations.push(`distributed table ${t} has no column ${column(t)}`);
    const p = plan[t]!;
    if (p.kind === 'distributed' && p.colocateWith) {
      const other = plan[p.colocateWith];
      if (other?.kind !== 'distributed')
        violations.push(`${t} is co-located with ${p.colocateWith}, which is not distributed`);
      else if (typeOf(t, p.column) !== typeOf(p.colocateWith, other.column))
        violations.push(`${t}.${p.column} and ${p.colocateWith}.${other.column} differ in type`);
    }
  }

  // unique keys (primary keys, unique constraints and unique indexes) of distributed tables
  const keys = await query<{ tbl: string; idx: string; columns: string[] }>(
    `select t.relname as tbl, i.relname as idx,
            array(select a.attname from unnest(x.indkey) k join pg_attribute a on a.attrelid = t.oid and a.attnum = k)::text[] as columns
       from pg_index x
       join pg_class t on t.oid = x.indrelid join pg_namespace n on n.oid = t.relnamespace
       join pg_class i on i.oid = x.indexrelid
      where x.indisunique and n.nspname = $1 and t.relname = any($2)`,
    [schema, distributed],
  );
  for (const k of keys) {
    if (!k.columns.includes(column(k.tbl)!))
      violations.push(`unique key ${k.tbl}.${k.idx} does not include the distribution column ${column(k.tbl)}`);
  }

  // foreign keys between the tables of the schema (partitions' inherited copies aside)
  const fks = await query<{
    name: string;
    src: string;
    dst: string;
    src_cols: string[];
    dst_cols: string[];
    on_update: string;
    on_delete: string;
  }>(
    `select f.conname as name, s.relname as src, d.relname as dst,
            f.confupdtype::text as on_update, f.confdeltype::text as on_delete,
            array(select a.attname from unnest(f.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.n order by k.o)::text[] as src_cols,
            array(select a.attname from unnest(f.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.n order by k.o)::text[] as dst_cols
       from pg_constraint f
       join pg_class s on s.oid = f.conrelid join pg_namespace n on n.oid = s.relnamespace
       join pg_class d on d.oid = f.confrelid
      where f.contype = 'f' and n.nspname = $1 and not s.relispartition and f.conparentid = 0`,
    [schema],
  );
  for (const fk of fks) {
    const from = plan[fk.src]?.kind;
    const to = plan[fk.dst]?.kind;
    const label = `foreign key ${fk.src}.${fk.name}`;
    if (!from || !to) continue; // reported above as an unplanned table
    // Citus: a key that includes the distribution column may not cascade, null or default an update,
    // nor null or default a delete (an update of the column would move the row to another shard)
    if (from === 'distributed' && fk.src_cols.includes(column(fk.src)!)) {
      if (['c', 'n', 'd'].includes(fk.on_update)) violations.push(`${label} acts on update of the distribution column`);
      if (['n', 'd'].includes(fk.on_delete)) violations.push(`${label} sets the distribution column on delete`);
    }
    if (from === 'local' || to === 'local') {
      if (from !== to) violations.push(`${label} links local-only ${from === 'local' ? fk.src : fk.dst} to Citus`);
    } else if (from === 'reference' && to === 'distributed') {
      violations.push(`${label} points from reference table ${fk.src} to distributed table ${fk.dst}`);
    } else if (from === 'distributed' && to === 'distributed') {
      const at = fk.src_cols.indexOf(column(fk.src)!);
      if (at < 0 || fk.dst_cols[at] !== column(fk.dst))
        violations.push(`${label} does not pair ${fk.src}.${column(fk.src)} with ${fk.dst}.${column(fk.dst)}`);
      else if (colocationGroup(plan, fk.src) !== colocationGroup(plan, fk.dst))
        violations.push(`${label} joins ${fk.src} and ${fk.dst}, which are not co-located`);
    }
  }

  // policies: Citus refuses any subquery in a policy of a distributed or reference table
  const policies = await query<{
    tbl: string;
    name: string;
    qual: string | null;
    qual_tree: string | null;
    chk: string | null;
    chk_tree: string | null;
  }>(
    `select c.relname as tbl, p.polname as name,
            pg_get_expr(p.polqual, p.polrelid) as qual, p.polqual::text as qual_tree,
            pg_get_expr(p.polwithcheck, p.polrelid) as chk, p.polwithcheck::text as chk_tree
       from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = any($2) and not c.relispartition`,
    [schema, onCitus],
  );
  for (const p of policies) {
    if (expressionHasSubquery(p.qual, p.qual_tree) || expressionHasSubquery(p.chk, p.chk_tree))
      violations.push(`policy ${p.tbl}.${p.name} contains a subquery`);
  }

  // triggers (user triggers, on the table or any of its partitions)
  const triggers = await query<{ tbl: string; name: string }>(
    `select distinct coalesce(parent.relname, c.relname) as tbl, g.tgname as name
       from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_namespace n on n.oid = c.relnamespace
       left join pg_inherits i on i.inhrelid = c.oid left join pg_class parent on parent.oid = i.inhparent
      where not g.tgisinternal and n.nspname = $1 and coalesce(parent.relname, c.relname) = any($2)`,
    [schema, onCitus],
  );
  for (const g of triggers) violations.push(`trigger ${g.tbl}.${g.name} on a table Citus would hold`);

  // sequence-backed defaults: serial columns and identity columns
  const sequenced = await query<{ tbl: string; col: string }>(
    `select c.relname as tbl, a.attname as col
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where n.nspname = $1 and c.relname = any($2) and a.attnum > 0 and not a.attisdropped
        and (a.attidentity <> '' or pg_get_expr(d.adbin, d.adrelid) ~* 'nextval\\s*\\(')`,
    [schema, onCitus],
  );
  for (const s of sequenced) violations.push(`column ${s.tbl}.${s.col} takes its default from a sequence`);

  return violations.sort();
}

/**
 * The Citus calls that distribute a migrated schema, in a valid order: reference tables first (a
 * distributed table's foreign keys to them need them in place), then each distributed table after
 * its co-location group's root and after the distributed tables its foreign keys point at
 * (`references`, read from the live schema by `foreignKeyTargets`; Citus distributes a table with a
 * key to another only once that one is distributed).
 */
export function distributionStatements(
  schema: string,
  plan: Readonly<Record<string, TablePlacement>> = DISTRIBUTION_PLAN,
  shardCount?: number,
  references: ReadonlyMap<string, readonly string[]> = new Map(),
): string[] {
  const name = (t: string) => `'${quoteIdent(schema)}.${quoteIdent(t)}'`;
  const statements = placed(plan, 'reference').map((t) => `select create_reference_table(${name(t)});`);
  const done = new Set<string>();
  const visiting = new Set<string>();
  const distributed = placed(plan, 'distributed');
  const visit = (t: string) => {
    if (done.has(t) || visiting.has(t)) return; // a cycle of keys: Citus would refuse either order
    const p = plan[t];
    if (p?.kind !== 'distributed') return;
    visiting.add(t);
    if (p.colocateWith) visit(p.colocateWith);
    for (const target of references.get(t) ?? []) if (target !== t) visit(target);
    done.add(t);
    const colocate = p.colocateWith ? `colocate_with => ${name(p.colocateWith)}` : `colocate_with => 'none'`;
    const shards = shardCount && !p.colocateWith ? `, shard_count => ${shardCount}` : '';
    statements.push(`select create_distributed_table(${name(t)}, '${p.column}', ${colocate}${shards});`);
  };
  distributed.forEach(visit);
  return statements;
}

/** The tables each table's foreign keys point at, in a schema (for `distributionStatements`). */
export async function foreignKeyTargets(query: RowQuery, schema: string): Promise<Map<string, string[]>> {
  const rows = await query<{ src: string; dst: string }>(
    `select distinct s.relname as src, d.relname as dst
       from pg_constraint f
       join pg_class s on s.oid = f.conrelid join pg_namespace n on n.oid = s.relnamespace
       join pg_class d on d.oid = f.confrelid
      where f.contype = 'f' and n.nspname = $1 and not s.relispartition and f.conparentid = 0
      order by 1, 2`,
    [schema],
  );
  const targets = new Map<string, string[]>();
  for (const { src, dst } of rows) targets.set(src, [...(targets.get(src) ?? []), dst]);
  return targets;
}

/** A quoted identifier, itself inside a string literal (Citus takes the table as regclass text). */
function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`.replace(/'/g, "''");
}

/** The tables `db:distribute` rebuilds plain before distributing them, when they are partitioned here. */
export const tablesToUnpartition = (plan: Readonly<Record<string, TablePlacement>> = DISTRIBUTION_PLAN): string[] =>
  Object.keys(plan).filter((t) => {
    const p = plan[t]!;
    return p.kind === 'distributed' && p.partitionsBecomeShards === true;
  });
