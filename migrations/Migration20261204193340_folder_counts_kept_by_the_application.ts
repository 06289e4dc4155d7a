import { Migration } from '@mikro-orm/migrations';

/**
 * The statement-level triggers that kept the folder counts until this migration (moved here from
 * the email mapping; the folder_tree migration created them with exactly this SQL). They raised
 * and lowered the counts in the statement that wrote email rows, from its transition tables: one
 * update per folder and statement. Each function is named as MikroORM names a trigger's function.
 * Here, not imported: migrations load without the project's TypeScript resolution.
 */
interface FolderCountsTrigger {
  name: string;
  /** The function's and the trigger's DDL. */
  create: string;
  /** Drops the trigger, then its function. */
  drop: string[];
}

function folderCountsTriggers(): FolderCountsTrigger[] {
  const event = (
    name: string,
    on: 'insert' | 'update' | 'delete',
    referencing: string,
    deltas: string,
  ): FolderCountsTrigger => {
    const fn = `email_${name}_fn`;
    const update = `update %I.folder f set message_count = f.message_count + d.n, unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size from (select folder_id, sum(n) as n, sum(unseen) as unseen, sum(size) as size from (${deltas}) x group by folder_id) d where f.id = d.folder_id and (d.n <> 0 or d.unseen <> 0 or d.size <> 0)`;
    return {
      name,
      create: `create or replace function "${fn}"() returns trigger as $$ begin execute format('${update}', tg_table_schema); return null; end; $$ language plpgsql; create trigger "${name}" after ${on} on "email" referencing ${referencing} for each statement execute function "${fn}"();`,
      drop: [`drop trigger if exists "${name}" on "email";`, `drop function if exists "${fn}"();`],
    };
  };
  const rows = (table: string, sign: '' | '-') =>
    `select folder_id, ${sign}1 as n, ${sign}(not seen)::int as unseen, ${sign}size_bytes::bigint as size from ${table}`;
  return [
    event('email_folder_counts_added', 'insert', 'new table as added', rows('added', '')),
    event(
      'email_folder_counts_changed',
      'update',
      'old table as old_rows new table as new_rows',
      `${rows('old_rows', '-')} union all ${rows('new_rows', '')}`,
    ),
    event('email_folder_counts_removed', 'delete', 'old table as removed', rows('removed', '-')),
  ];
}

/** Every folder's counts set from its email (the same aggregate as `recountFolders`). */
const RECOUNT = `update "folder" f set message_count = c.n, unseen_count = c.unseen, size_bytes = c.size from (select g.mailbox_id, g.id, count(e.id) as n, count(e.id) filter (where not e.seen) as unseen, coalesce(sum(e.size_bytes), 0) as size from "folder" g left join "email" e on e.mailbox_id = g.mailbox_id and e.folder_id = g.id group by g.mailbox_id, g.id) c where f.mailbox_id = c.mailbox_id and f.id = c.id and (f.message_count, f.unseen_count, f.size_bytes) is distinct from (c.n, c.unseen, c.size);`;

/**
 * Issue #19: Citus refuses any trigger on a distributed table, and `email` is distributed by
 * mailbox. The folder counts (message_count, unseen_count, size_bytes) were kept by three
 * statement-level triggers on `email`; the application keeps them now, in the unit of work that
 * writes the email, under the folder rows' locks (application/mail-counters.ts). The triggers and
 * their functions go, and every folder is recounted from its email on the way (down() recreates the
 * triggers exactly as the folder_tree migration made them, and recounts too).
 */
export class Migration20261204193340_folder_counts_kept_by_the_application extends Migration {

  override name = 'Migration20261204193340_folder_counts_kept_by_the_application';

  override up(): void | Promise<void> {
    for (const trigger of folderCountsTriggers()) for (const sql of trigger.drop) this.addSql(sql);
    this.addSql(RECOUNT);
  }

  override down(): void | Promise<void> {
    for (const trigger of folderCountsTriggers()) this.addSql(trigger.create);
    this.addSql(RECOUNT);
  }

}
