/**
 * Least privilege: the role the application runs as may read and write our tables' rows and
 * nothing else — no DDL, no TRUNCATE, nothing of the migrations table but the names of the
 * migrations applied. Migrations run as the schema
 * owner (DATABASE_URL); the application connects as this role. Row-level security policies apply
 * to this role (they never apply to the owner). Partitions are not granted: the role reaches their
 * rows through the parent only. Partitions a later migration creates do get the default grants until
 * this runs again, which is why every partition also carries its parent's policies (see
 * docs/operations.md).
 */
import type pg from 'pg';

/** What a role name may be (no quoting games in GRANT statements). */
export const APPLICATION_ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function grantApplicationRole(
  client: pg.Client | pg.PoolClient,
  options: { role: string; password?: string; schema: string; database: string },
): Promise<void> {
  const { role, schema, database } = options;
  const r = await createLoginRole(client, {
    role,
    database,
    ...(options.password ? { password: options.password } : {}),
  });
  const s = client.escapeIdentifier(schema);
  await client.query(`grant usage on schema ${s} to ${r}`);
  await client.query(`revoke create on schema ${s} from ${r}`);
  await client.query(`grant select, insert, update, delete on all tables in schema ${s} to ${r}`);
  await client.query(`revoke all on table ${s}."mikro_orm_migrations" from ${r}`).catch(() => {});
  // reading which migrations ran is how openAether() tells an outdated schema from an outage
  await client.query(`grant select (name) on table ${s}."mikro_orm_migrations" to ${r}`).catch(() => {});
  // partitions (and any inheritance child) only through their parent, whose policies then apply
  // to every row; a partition named directly would be read with its own policies, if any
  const { rows: children } = await client.query<{ child: string }>(
    `select format('%I.%I', cn.nspname, c.relname) as child
     from pg_inherits i
     join pg_class c on c.oid = i.inhrelid join pg_namespace cn on cn.oid = c.relnamespace
     join pg_class p on p.oid = i.inhparent join pg_namespace pn on pn.oid = p.relnamespace
     where pn.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
    [schema],
  );
  for (const { child } of children) await client.query(`revoke all on table ${child} from ${r}`);
  // tables that later migrations create (as the current, owning role) get the same grants
  await client.query(`alter default privileges in schema ${s} grant select, insert, update, delete on tables to ${r}`);
}

/**
 * Creates `role` (or keeps it), sets its password when one is given, and lets it connect to
 * `database`. Returns the quoted name. Shared with the mail role (mail-role.ts).
 */
export async function createLoginRole(
  client: pg.Client | pg.PoolClient,
  options: { role: string; password?: string; database: string },
): Promise<string> {
  checkRoleName(options.role);
  const r = client.escapeIdentifier(options.role);
  const login = options.password ? `login password ${client.escapeLiteral(options.password)}` : 'login';
  await client.query(`do $$ begin create role ${r} ${login}; exception when duplicate_object then null; end $$`);
  if (options.password) await client.query(`alter role ${r} ${login}`);
  await client.query(`grant connect on database ${client.escapeIdentifier(options.database)} to ${r}`);
  return r;
}

export function checkRoleName(role: string): void {
  if (!APPLICATION_ROLE_NAME.test(role))
    throw new Error('the role name must be lower-case letters, digits and underscores');
}
