/**
 * docs/scaling.md plans to distribute the message store over Citus by mailbox. Citus requires
 * every unique key of a distributed table to include the distribution column. This reads the
 * live schema and holds it to that rule, so the schema cannot drift away from the plan unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

/** The plan: distributed tables and their distribution column; every other table is a reference table. */
const DISTRIBUTED: Record<string, string> = {
  email: 'mailbox_id',
  folder: 'mailbox_id',
  mail_change: 'mailbox_id',
  delivery_receipt: 'mailbox_id',
  mailbox_state: 'mailbox_id',
  // stored messages are shared across mailboxes: distributed by their own key (#19 decides how
  // email's foreign key to them is kept across nodes)
  message: 'content_hash',
  outbox_event: 'ordering_key',
};
const REFERENCE = [
  'user',
  'domain',
  'address',
  'mailbox_password',
  'app_password',
  'login_throttle',
  // claimed across tenants by any relay, oldest due first: small (what waits to go out), one table
  'outbound_message',
];
/** Known and planned to change (docs/scaling.md, "What would change", item 1). Only ever shrinks. */
const KNOWN_EXCEPTIONS = ['folder.folder_pkey'];

describe('the distribution plan of docs/scaling.md', () => {
  it('covers every table of the schema', async () => {
    const tables = await db.sql<{ name: string }>(
      `select c.relname as name from pg_class c
        where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
          and c.relname <> 'mikro_orm_migrations' order by 1`,
    );
    expect(tables.map((t) => t.name).sort()).toEqual([...Object.keys(DISTRIBUTED), ...REFERENCE].sort());
  });

  it('every unique key of a distributed table includes its distribution column', async () => {
    const keys = await db.sql<{ tbl: string; idx: string; columns: string[] }>(
      `select t.relname as tbl, i.relname as idx,
              array(select a.attname from unnest(x.indkey) k join pg_attribute a on a.attrelid = t.oid and a.attnum = k) as columns
         from pg_index x
         join pg_class t on t.oid = x.indrelid
         join pg_class i on i.oid = x.indexrelid
        where x.indisunique and t.relname = any($1) and t.relnamespace = current_schema()::regnamespace`,
      [Object.keys(DISTRIBUTED)],
    );
    expect(keys.length).toBeGreaterThan(0);
    const violations = keys.filter((k) => !k.columns.includes(DISTRIBUTED[k.tbl]!)).map((k) => `${k.tbl}.${k.idx}`);
    expect(violations.sort()).toEqual(KNOWN_EXCEPTIONS);
  });
});
