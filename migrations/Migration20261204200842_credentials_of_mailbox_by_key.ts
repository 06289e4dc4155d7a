import { Migration } from '@mikro-orm/migrations';

/**
 * "A credential belongs to a mailbox, not an alias" as a key instead of triggers (issue #19: Citus
 * refuses a table with triggers): each credential row names the kind of address it belongs to in a
 * column generated as 'mailbox', and (mailbox_id, mailbox_kind) -> address (id, kind) finds only a
 * mailbox. Existing rows keep their values; the generated column is computed for them. down() brings
 * the triggers back.
 */
export class Migration20261204200842_credentials_of_mailbox_by_key extends Migration {

  override name = 'Migration20261204200842_credentials_of_mailbox_by_key';

  override up(): void | Promise<void> {
    this.addSql(`alter table "address" add constraint "address_id_kind_unique" unique ("id", "kind");`);

    this.addSql(`drop trigger if exists "mailbox_password_of_mailbox" on "mailbox_password";`);
    this.addSql(`drop function if exists "mailbox_password_mailbox_password_of_mailbox_fn"();`);
    this.addSql(`alter table "mailbox_password" add "mailbox_kind" text generated always as ('mailbox'::text) stored not null;`);
    this.addSql(`alter table "mailbox_password" add constraint "mailbox_password_mailbox_kind_foreign" foreign key ("mailbox_id", "mailbox_kind") references "address" ("id", "kind") on delete cascade;`);

    this.addSql(`drop trigger if exists "app_password_of_mailbox" on "app_password";`);
    this.addSql(`drop function if exists "app_password_app_password_of_mailbox_fn"();`);
    this.addSql(`alter table "app_password" add "mailbox_kind" text generated always as ('mailbox'::text) stored not null;`);
    this.addSql(`alter table "app_password" add constraint "app_password_mailbox_kind_foreign" foreign key ("mailbox_id", "mailbox_kind") references "address" ("id", "kind") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "app_password" drop constraint "app_password_mailbox_kind_foreign";`);

    this.addSql(`alter table "mailbox_password" drop constraint "mailbox_password_mailbox_kind_foreign";`);

    this.addSql(`alter table "address" drop constraint "address_id_kind_unique";`);

    this.addSql(`alter table "app_password" drop column "mailbox_kind";`);
    this.addSql(`create or replace function "app_password_app_password_of_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.address a where a.id = \$1 and a.kind = ''mailbox'')', tg_table_schema) into ok using new.mailbox_id;   if ok is not true then
    raise exception 'a credential belongs to a mailbox' using errcode = '23514', constraint = 'app_password_of_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "app_password_of_mailbox" BEFORE INSERT OR UPDATE on "app_password" for each ROW execute function "app_password_app_password_of_mailbox_fn"();`);

    this.addSql(`alter table "mailbox_password" drop column "mailbox_kind";`);
    this.addSql(`create or replace function "mailbox_password_mailbox_password_of_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.address a where a.id = \$1 and a.kind = ''mailbox'')', tg_table_schema) into ok using new.mailbox_id;   if ok is not true then
    raise exception 'a credential belongs to a mailbox' using errcode = '23514', constraint = 'mailbox_password_of_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "mailbox_password_of_mailbox" BEFORE INSERT OR UPDATE on "mailbox_password" for each ROW execute function "mailbox_password_mailbox_password_of_mailbox_fn"();`);
  }

}
