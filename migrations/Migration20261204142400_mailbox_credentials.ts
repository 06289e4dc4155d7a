import { Migration } from '@mikro-orm/migrations';

export class Migration20261204142400_mailbox_credentials extends Migration {

  override name = 'Migration20261204142400_mailbox_credentials';

  override up(): void | Promise<void> {
    this.addSql(`create table "login_throttle" ("address" varchar(254) not null, "window_started_at" timestamptz not null, "attempts" int not null, primary key ("address"));`);
    this.addSql(`create index "login_throttle_window_started_at_index" on "login_throttle" ("window_started_at");`);

    this.addSql(`create table "mailbox_password" ("id" uuid not null, "mailbox_id" uuid not null, "hash" text not null, "changed_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "mailbox_password" add constraint "mailbox_password_mailbox_unique" unique ("mailbox_id");`);

    this.addSql(`create table "app_password" ("id" uuid not null, "mailbox_id" uuid not null, "name" varchar(100) not null, "selector" varchar(10) not null, "hash" text not null, "protocols" text[] not null, "expires_at" timestamptz null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, "last_used_from" varchar(64) null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "app_password_mailbox_id_index" on "app_password" ("mailbox_id");`);
    this.addSql(`alter table "app_password" add constraint "app_password_selector_unique" unique ("selector");`);
    this.addSql(`create unique index "app_password_live_name_unique" on "app_password" ("mailbox_id", lower("name")) where "revoked_at" is null;`);

    this.addSql(`alter table "login_throttle" add constraint "login_throttle_attempts" check (attempts >= 1);`);

    this.addSql(`alter table "mailbox_password" add constraint "mailbox_password_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "mailbox_password" add constraint "mailbox_password_hash" check (hash ~ '^\\\$argon2id\\\$v=19\\\$m=[0-9]+,t=[0-9]+,p=[0-9]+\\\$[A-Za-z0-9+/]+\\\$[A-Za-z0-9+/]+\$');`);
    this.addSql(`create or replace function "mailbox_password_mailbox_password_of_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.address a where a.id = \$1 and a.kind = ''mailbox'')', tg_table_schema) into ok using new.mailbox_id;   if ok is not true then
    raise exception 'a credential belongs to a mailbox' using errcode = '23514', constraint = 'mailbox_password_of_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "mailbox_password_of_mailbox" BEFORE INSERT OR UPDATE on "mailbox_password" for each ROW execute function "mailbox_password_mailbox_password_of_mailbox_fn"();`);
    this.addSql(`alter table "mailbox_password" enable row level security;`);
    this.addSql(`create policy "mailbox_password_tenant" on "mailbox_password" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`alter table "app_password" add constraint "app_password_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "app_password" add constraint "app_password_hash" check (hash ~ '^\\\$argon2id\\\$v=19\\\$m=[0-9]+,t=[0-9]+,p=[0-9]+\\\$[A-Za-z0-9+/]+\\\$[A-Za-z0-9+/]+\$');`);
    this.addSql(`alter table "app_password" add constraint "app_password_selector" check (selector ~ '^[a-z2-7]{10}\$');`);
    this.addSql(`alter table "app_password" add constraint "app_password_name" check (name = btrim(name) and name <> '');`);
    this.addSql(`alter table "app_password" add constraint "app_password_protocols" check (cardinality(protocols) >= 1 and protocols <@ array['imap', 'pop3', 'smtp', 'sieve']::text[]);`);
    this.addSql(`alter table "app_password" add constraint "app_password_expiry" check (expires_at is null or expires_at > created_at);`);
    this.addSql(`alter table "app_password" add constraint "app_password_revoked" check (revoked_at is null or revoked_at >= created_at);`);
    this.addSql(`alter table "app_password" add constraint "app_password_last_use" check (last_used_from is null or last_used_at is not null);`);
    this.addSql(`create or replace function "app_password_app_password_of_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.address a where a.id = \$1 and a.kind = ''mailbox'')', tg_table_schema) into ok using new.mailbox_id;   if ok is not true then
    raise exception 'a credential belongs to a mailbox' using errcode = '23514', constraint = 'app_password_of_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "app_password_of_mailbox" BEFORE INSERT OR UPDATE on "app_password" for each ROW execute function "app_password_app_password_of_mailbox_fn"();`);
    this.addSql(`alter table "app_password" enable row level security;`);
    this.addSql(`create policy "app_password_tenant" on "app_password" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "login_throttle" cascade;`);
    this.addSql(`drop trigger if exists "mailbox_password_of_mailbox" on "mailbox_password";`);
    this.addSql(`drop function if exists "mailbox_password_mailbox_password_of_mailbox_fn"();`);
    this.addSql(`drop table if exists "mailbox_password" cascade;`);
    this.addSql(`drop trigger if exists "app_password_of_mailbox" on "app_password";`);
    this.addSql(`drop function if exists "app_password_app_password_of_mailbox_fn"();`);
    this.addSql(`drop table if exists "app_password" cascade;`);
  }

}
