import { Migration } from '@mikro-orm/migrations';

/**
 * `folder` keyed by (mailbox_id, id), and email's key to its folder (mailbox_id, folder_id) ->
 * folder (mailbox_id, id) (issue #19): Citus needs the distribution column in every unique key of a
 * distributed table and in every key between two of them. The key now says "an email is in a
 * folder of its own mailbox", so the trigger `email_folder_in_mailbox` goes (Citus refuses
 * triggers). `email` is partitioned: its key is added on the parent. Rows are not touched; the
 * trigger kept every existing email in its own mailbox's folder, so the key holds for them. down()
 * brings back the key on folder (id) and the trigger.
 */
export class Migration20261204201209_folder_keyed_by_mailbox extends Migration {

  override name = 'Migration20261204201209_folder_keyed_by_mailbox';

  override up(): void | Promise<void> {
    this.addSql(`alter table "email" drop constraint "email_folder_id_foreign";`);

    this.addSql(`alter table "folder" drop constraint "folder_pkey";`);
    this.addSql(`alter table "folder" add primary key ("mailbox_id", "id");`);

    this.addSql(`drop index "email_folder_id_index";`);
    this.addSql(`drop trigger if exists "email_folder_in_mailbox" on "email";`);
    this.addSql(`drop function if exists "email_email_folder_in_mailbox_fn"();`);
    this.addSql(`alter table "email" add constraint "email_folder_foreign" foreign key ("mailbox_id", "folder_id") references "folder" ("mailbox_id", "id") on update no action;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "email" drop constraint "email_folder_foreign";`);

    this.addSql(`alter table "folder" drop constraint "folder_pkey";`);
    this.addSql(`alter table "folder" add primary key ("id");`);

    this.addSql(`alter table "email" add constraint "email_folder_id_foreign" foreign key ("folder_id") references "folder" ("id");`);
    this.addSql(`create index "email_folder_id_index" on "email" ("folder_id");`);
    this.addSql(`create or replace function "email_email_folder_in_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.folder f where f.id = \$1 and f.mailbox_id = \$2)', tg_table_schema) into ok using new.folder_id, new.mailbox_id;   if ok is not true then
    raise exception 'an email must be in a folder of its own mailbox' using errcode = '23514', constraint = 'email_folder_in_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_folder_in_mailbox" BEFORE INSERT OR UPDATE on "email" for each ROW execute function "email_email_folder_in_mailbox_fn"();`);

  }

}
