import { Migration } from '@mikro-orm/migrations';

export class Migration20261125122339_initial extends Migration {

  override name = 'Migration20261125122339_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "user" ("id" uuid not null, "email" varchar(254) not null, "password_hash" text not null, "name" varchar(200) null, "status" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "user" add constraint "user_email_unique" unique ("email");`);

    this.addSql(`create table "domain" ("id" uuid not null, "name" varchar(253) not null, "owner_id" uuid not null, "verification_token" varchar(64) not null, "verified" boolean not null, "verified_at" timestamptz null, "status" text not null, "max_mailboxes" int not null, "max_aliases" int not null, "default_quota_bytes" bigint not null, "max_quota_bytes" bigint not null, "created_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "domain" add constraint "domain_name_unique" unique ("name");`);
    this.addSql(`create index "domain_owner_id_index" on "domain" ("owner_id");`);
    this.addSql(`alter table "domain" add constraint "domain_verification_token_unique" unique ("verification_token");`);

    this.addSql(`create table "address" ("id" uuid not null, "kind" text not null, "address" varchar(255) not null, "domain_id" uuid not null, "created_at" timestamptz not null, "quota_bytes" bigint null, "used_bytes" bigint null, "status" text null, "version" int null default 1, "destinations" text[] null, primary key ("id"));`);
    this.addSql(`create index "address_kind_index" on "address" ("kind");`);
    this.addSql(`alter table "address" add constraint "address_address_unique" unique ("address");`);
    this.addSql(`create index "address_domain_id_index" on "address" ("domain_id");`);

    this.addSql(`create table "folder" ("id" uuid not null, "mailbox_id" uuid not null, "path" varchar(255) not null, "role" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create unique index "folder_mailbox_path_unique" on "folder" ("mailbox_id", lower("path"));`);
    this.addSql(`alter table "folder" add constraint "folder_mailbox_role_unique" unique ("mailbox_id", "role");`);

    this.addSql(`create table "email" ("mailbox_id" uuid not null, "id" uuid not null, "folder_id" uuid not null, "user_id" uuid not null, "message_id" varchar(998) not null, "subject" text not null, "from_address" varchar(254) not null, "to_addresses" text[] not null, "cc_addresses" text[] not null, "body" text not null, "size_bytes" int not null, "seen" boolean not null, "flagged" boolean not null, "answered" boolean not null, "draft" boolean not null, "received_at" timestamptz not null, "created_at" timestamptz not null, primary key ("mailbox_id", "id"));`);
    this.addSql(`create index "email_folder_id_index" on "email" ("folder_id");`);
    this.addSql(`create index "email_user_id_index" on "email" ("user_id");`);
    this.addSql(`create index "email_folder_page_index" on "email" ("mailbox_id", "folder_id", "received_at", "id");`);

    this.addSql(`alter table "user" add constraint "user_email_normalised" check (email = lower(email) and email ~ '^[^@]+@[^@]+\$');`);
    this.addSql(`alter table "user" add constraint "user_status_check" check ("status" in ('active', 'suspended'));`);

    this.addSql(`alter table "domain" add constraint "domain_owner_id_foreign" foreign key ("owner_id") references "user" ("id") on delete cascade;`);
    this.addSql(`alter table "domain" add constraint "domain_name_normalised" check (name = lower(name) and name ~ '^[a-z0-9-]+(\\.[a-z0-9-]+)+\$');`);
    this.addSql(`alter table "domain" add constraint "domain_verified_at" check (verified = (verified_at is not null));`);
    this.addSql(`alter table "domain" add constraint "domain_limits" check (max_mailboxes >= 0 and max_aliases >= 0 and default_quota_bytes >= 0 and max_quota_bytes >= 0 and (max_quota_bytes = 0 or (default_quota_bytes > 0 and default_quota_bytes <= max_quota_bytes)));`);
    this.addSql(`alter table "domain" add constraint "domain_status_check" check ("status" in ('active', 'suspended'));`);

    this.addSql(`alter table "address" add constraint "address_domain_id_foreign" foreign key ("domain_id") references "domain" ("id") on delete cascade;`);
    this.addSql(`alter table "address" add constraint "address_normalised" check (address = lower(address) and address ~ '^[^@]*@[^@]+\$');`);
    this.addSql(`alter table "address" add constraint "address_mailbox_columns" check (kind <> 'mailbox' or (quota_bytes is not null and used_bytes is not null and status is not null and address !~ '^@' and quota_bytes >= 0 and used_bytes >= 0));`);
    this.addSql(`alter table "address" add constraint "address_quota" check (quota_bytes = 0 or used_bytes <= quota_bytes);`);
    this.addSql(`alter table "address" add constraint "address_alias_columns" check (kind <> 'alias' or (cardinality(destinations) >= 1 and cardinality(destinations) <= 100));`);
    this.addSql(`alter table "address" add constraint "address_kind_check" check ("kind" in ('mailbox', 'alias'));`);
    this.addSql(`alter table "address" add constraint "address_status_check" check ("status" in ('active', 'suspended'));`);
    this.addSql(`create or replace function "address_address_in_domain_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.address is not distinct from old.address and new.domain_id is not distinct from old.domain_id then
    return new;   end if;   execute format('select split_part(\$1, ''@'', 2) = (select d.name from %I.domain d where d.id = \$2)', tg_table_schema) into ok using new.address, new.domain_id;   if ok is not true then
    raise exception 'an address must be on its own domain' using errcode = '23514', constraint = 'address_in_domain';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "address_in_domain" BEFORE INSERT OR UPDATE on "address" for each ROW execute function "address_address_in_domain_fn"();`);

    this.addSql(`alter table "folder" add constraint "folder_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "folder" add constraint "folder_role_check" check ("role" in ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive'));`);

    this.addSql(`alter table "email" add constraint "email_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "email" add constraint "email_folder_id_foreign" foreign key ("folder_id") references "folder" ("id");`);
    this.addSql(`alter table "email" add constraint "email_user_id_foreign" foreign key ("user_id") references "user" ("id") on delete cascade;`);
    this.addSql(`alter table "email" add constraint "email_size" check (size_bytes >= 0);`);
    this.addSql(`create or replace function "email_email_folder_in_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.folder f where f.id = \$1 and f.mailbox_id = \$2)', tg_table_schema) into ok using new.folder_id, new.mailbox_id;   if ok is not true then
    raise exception 'an email must be in a folder of its own mailbox' using errcode = '23514', constraint = 'email_folder_in_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_folder_in_mailbox" BEFORE INSERT OR UPDATE on "email" for each ROW execute function "email_email_folder_in_mailbox_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "domain" drop constraint "domain_owner_id_foreign";`);
    this.addSql(`alter table "email" drop constraint "email_user_id_foreign";`);
    this.addSql(`alter table "address" drop constraint "address_domain_id_foreign";`);
    this.addSql(`alter table "folder" drop constraint "folder_mailbox_id_foreign";`);
    this.addSql(`alter table "email" drop constraint "email_mailbox_id_foreign";`);
    this.addSql(`alter table "email" drop constraint "email_folder_id_foreign";`);

    this.addSql(`drop table if exists "user" cascade;`);
    this.addSql(`drop table if exists "domain" cascade;`);
    this.addSql(`drop trigger if exists "address_in_domain" on "address";`);
    this.addSql(`drop function if exists "address_address_in_domain_fn"();`);
    this.addSql(`drop table if exists "address" cascade;`);
    this.addSql(`drop table if exists "folder" cascade;`);
    this.addSql(`drop trigger if exists "email_folder_in_mailbox" on "email";`);
    this.addSql(`drop function if exists "email_email_folder_in_mailbox_fn"();`);
    this.addSql(`drop table if exists "email" cascade;`);
  }

}
