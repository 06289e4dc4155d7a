import { Migration } from '@mikro-orm/migrations';

/**
 * The folder tree (issue 16) and folder changes in the journal (issue 15):
 * - folders get `subscribed` and exact counters (messages, unseen, octets) kept by statement
 *   triggers on the email table; they are created before the counts are backfilled, and their lock
 *   on the email table (held to commit) keeps writers out until the backfill is in;
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

    this.addSql(`create or replace function "email_email_folder_counts_added_fn"() returns trigger as \$\$ begin execute format('update %I.folder f set message_count = f.message_count + d.n, unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size from (select folder_id, sum(n) as n, sum(unseen) as unseen, sum(size) as size from (select folder_id, 1 as n, (not seen)::int as unseen, size_bytes::bigint as size from added) x group by folder_id) d where f.id = d.folder_id and (d.n <> 0 or d.unseen <> 0 or d.size <> 0)', tg_table_schema); return null; end; \$\$ language plpgsql; create trigger "email_folder_counts_added" after insert on "email" referencing new table as added for each statement execute function "email_email_folder_counts_added_fn"();`);
    this.addSql(`create or replace function "email_email_folder_counts_changed_fn"() returns trigger as \$\$ begin execute format('update %I.folder f set message_count = f.message_count + d.n, unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size from (select folder_id, sum(n) as n, sum(unseen) as unseen, sum(size) as size from (select folder_id, -1 as n, -(not seen)::int as unseen, -size_bytes::bigint as size from old_rows union all select folder_id, 1 as n, (not seen)::int as unseen, size_bytes::bigint as size from new_rows) x group by folder_id) d where f.id = d.folder_id and (d.n <> 0 or d.unseen <> 0 or d.size <> 0)', tg_table_schema); return null; end; \$\$ language plpgsql; create trigger "email_folder_counts_changed" after update on "email" referencing old table as old_rows new table as new_rows for each statement execute function "email_email_folder_counts_changed_fn"();`);
    this.addSql(`create or replace function "email_email_folder_counts_removed_fn"() returns trigger as \$\$ begin execute format('update %I.folder f set message_count = f.message_count + d.n, unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size from (select folder_id, sum(n) as n, sum(unseen) as unseen, sum(size) as size from (select folder_id, -1 as n, -(not seen)::int as unseen, -size_bytes::bigint as size from removed) x group by folder_id) d where f.id = d.folder_id and (d.n <> 0 or d.unseen <> 0 or d.size <> 0)', tg_table_schema); return null; end; \$\$ language plpgsql; create trigger "email_folder_counts_removed" after delete on "email" referencing old table as removed for each statement execute function "email_email_folder_counts_removed_fn"();`);

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
    this.addSql(`drop trigger if exists "email_folder_counts_added" on "email";`);
    this.addSql(`drop function if exists "email_email_folder_counts_added_fn"();`);
    this.addSql(`drop trigger if exists "email_folder_counts_changed" on "email";`);
    this.addSql(`drop function if exists "email_email_folder_counts_changed_fn"();`);
    this.addSql(`drop trigger if exists "email_folder_counts_removed" on "email";`);
    this.addSql(`drop function if exists "email_email_folder_counts_removed_fn"();`);

    this.addSql(`alter table "folder" drop constraint "folder_counts";`);
    this.addSql(`alter table "folder" drop column "subscribed", drop column "message_count", drop column "unseen_count", drop column "size_bytes";`);

    this.addSql(`alter table "mail_change" drop constraint "mail_change_folder_event";`);
    this.addSql(`alter table "mail_change" drop constraint "mail_change_folder_event_check";`);
    this.addSql(`alter table "mail_change" drop column "folder_event";`);
  }

}
