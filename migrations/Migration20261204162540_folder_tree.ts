import { Migration } from '@mikro-orm/migrations';

/**
 * The folder tree (issue 16) and folder changes in the journal (issue 15):
 * - folders get `subscribed` and exact counters (messages, unseen, octets) kept by a trigger on
 *   the email table; the trigger is created before the counts are backfilled, and its lock on the
 *   email table (held to commit) keeps writers out until the backfill is in;
 * - every folder's parents exist: folders created before the tree (`Work/2026` without `Work`) get
 *   their missing parents, subscribed and empty;
 * - journal entries of kind `folder` name what happened (`folder_event`).
 */

export class Migration20261204162540_folder_tree extends Migration {

  override name = 'Migration20261204162540_folder_tree';

  override up(): void | Promise<void> {
    this.addSql(`alter table "mail_change" add "folder_event" text null;`);
    // kind 'folder' was reserved and never written; should a row exist, it was a change to the folder
    this.addSql(`update "mail_change" set "folder_event" = 'renamed' where "kind" = 'folder';`);
    this.addSql(`alter table "mail_change" add constraint "mail_change_folder_event" check ((kind = 'folder') = (folder_event is not null));`);
    this.addSql(`alter table "mail_change" add constraint "mail_change_folder_event_check" check ("folder_event" in ('created', 'renamed', 'deleted', 'subscribed', 'unsubscribed'));`);

    this.addSql(`alter table "folder" add "subscribed" boolean not null default true, add "message_count" bigint not null default '0', add "unseen_count" bigint not null default '0', add "size_bytes" bigint not null default '0';`);
    this.addSql(`alter table "folder" add constraint "folder_counts" check (message_count >= 0 and unseen_count >= 0 and unseen_count <= message_count and size_bytes >= 0);`);

    this.addSql(`create or replace function "email_email_folder_counts_fn"() returns trigger as \$\$ begin begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.seen is not distinct from old.seen
     and new.size_bytes is not distinct from old.size_bytes then
    return null;   end if;   if tg_op in ('UPDATE', 'DELETE') then
    execute format('update %I.folder set message_count = message_count - 1, unseen_count = unseen_count - \$2, size_bytes = size_bytes - \$3 where id = \$1', tg_table_schema) using old.folder_id, (not old.seen)::int, old.size_bytes;   end if;   if tg_op in ('UPDATE', 'INSERT') then
    execute format('update %I.folder set message_count = message_count + 1, unseen_count = unseen_count + \$2, size_bytes = size_bytes + \$3 where id = \$1', tg_table_schema) using new.folder_id, (not new.seen)::int, new.size_bytes;   end if;   return null; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_folder_counts" AFTER INSERT OR UPDATE OR DELETE on "email" for each ROW execute function "email_email_folder_counts_fn"();`);

    this.addSql(`update "folder" f set "message_count" = c.n, "unseen_count" = c.unseen, "size_bytes" = c.size
      from (select "folder_id", count(*) as n, count(*) filter (where not "seen") as unseen, coalesce(sum("size_bytes"), 0) as size
              from "email" group by "folder_id") c
     where c."folder_id" = f."id";`);
    this.addSql(`insert into "folder" ("id", "mailbox_id", "path", "role", "created_at", "version", "uid_validity", "uid_next", "subscribed")
      select distinct on (f."mailbox_id", lower(a.path)) gen_random_uuid(), f."mailbox_id", a.path, null, now(), 1,
             greatest(1, extract(epoch from now())::bigint), 1, true
        from "folder" f
        cross join lateral (
          select array_to_string((string_to_array(f."path", '/'))[1:n], '/') as path
            from generate_series(1, cardinality(string_to_array(f."path", '/')) - 1) as n
        ) a
       where not exists (select 1 from "folder" g where g."mailbox_id" = f."mailbox_id" and lower(g."path") = lower(a.path))
       order by f."mailbox_id", lower(a.path), a.path;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "email_folder_counts" on "email";`);
    this.addSql(`drop function if exists "email_email_folder_counts_fn"();`);

    this.addSql(`alter table "folder" drop constraint "folder_counts";`);
    this.addSql(`alter table "folder" drop column "subscribed", drop column "message_count", drop column "unseen_count", drop column "size_bytes";`);

    this.addSql(`alter table "mail_change" drop constraint "mail_change_folder_event";`);
    this.addSql(`alter table "mail_change" drop constraint "mail_change_folder_event_check";`);
    this.addSql(`alter table "mail_change" drop column "folder_event";`);
  }

}
