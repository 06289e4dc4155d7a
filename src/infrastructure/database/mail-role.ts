/**
 * The role mail servers connect as (Postfix's pgsql: maps, Dovecot's passdb and userdb): it may
 * read the published lookup views of one data schema and nothing else — no table, not even the
 * credential tables the passdb view is made of (views run with their owner's rights).
 */
import type pg from 'pg';
import { MAIL_LOOKUP_VIEWS, mailLookupSchema } from '../mail/lookup-schema.js';
import { checkRoleName, createLoginRole } from './application-role.js';

export async function grantMailRole(
  client: pg.Client | pg.PoolClient,
  options: { role: string; password?: string; schema: string; database: string },
): Promise<{ lookupSchema: string }> {
  const { role, schema, database } = options;
  checkRoleName(role);
  const lookupSchema = mailLookupSchema(schema);
  const { rows } = await client.query('select 1 from pg_namespace where nspname = $1', [lookupSchema]);
  if (rows.length === 0) throw new Error(`schema ${lookupSchema} does not exist: run the migrations first`);
  const r = await createLoginRole(client, {
    role,
    database,
    ...(options.password ? { password: options.password } : {}),
  });
  const s = client.escapeIdentifier(schema);
  const l = client.escapeIdentifier(lookupSchema);
  // nothing of the data schema, whatever was granted before (a role reused from the application)
  await client.query(`revoke all on all tables in schema ${s} from ${r}`);
  await client.query(`revoke all on schema ${s} from ${r}`);
  await client.query(`grant usage on schema ${l} to ${r}`);
  await client.query(`revoke create on schema ${l} from ${r}`);
  for (const view of MAIL_LOOKUP_VIEWS)
    await client.query(`grant select on ${l}.${client.escapeIdentifier(view)} to ${r}`);
  await client.query(`grant execute on function ${l}.selector_of(text) to ${r}`);
  return { lookupSchema };
}
