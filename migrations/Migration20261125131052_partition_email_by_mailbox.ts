import { Migration } from '@mikro-orm/migrations';

export class Migration20261125131052_partition_email_by_mailbox extends Migration {

  override name = 'Migration20261125131052_partition_email_by_mailbox';

  override up(): void | Promise<void> {
    // Rebuilds email as a hash-partitioned table: moves the old table aside, creates the new one with
    // its partitions, keys, indexes, trigger and policy, copies every row, then drops the old one.
    // It holds an exclusive lock while copying: on a large store, schedule it (see docs/scaling.md).
    this.addSql(`create schema if not exists "mikro_orm_partition_swap";`);
    this.addSql(`alter table "email" set schema "mikro_orm_partition_swap";`);
    this.addSql(`create table "email" ("mailbox_id" uuid not null, "id" uuid not null, "folder_id" uuid not null, "user_id" uuid not null, "message_id" varchar(998) not null, "subject" text not null, "from_address" varchar(254) not null, "to_addresses" text[] not null, "cc_addresses" text[] not null, "body" text not null, "size_bytes" int not null, "seen" boolean not null, "flagged" boolean not null, "answered" boolean not null, "draft" boolean not null, "received_at" timestamptz not null, "created_at" timestamptz not null, primary key ("mailbox_id", "id")) partition by hash ("mailbox_id");`);
    this.addSql(`create index "email_folder_id_index" on "email" ("folder_id");`);
    this.addSql(`create index "email_user_id_index" on "email" ("user_id");`);
    this.addSql(`create index "email_folder_page_index" on "email" ("mailbox_id", "folder_id", "received_at", "id");`);
    // MikroORM's generated rebuild leaves out the table's check constraint; it belongs here
    this.addSql(`alter table "email" add constraint "email_size" check (size_bytes >= 0);`);
    this.addSql(`create table "email_0" partition of "email" for values with (modulus 16, remainder 0);`);
    this.addSql(`create table "email_1" partition of "email" for values with (modulus 16, remainder 1);`);
    this.addSql(`create table "email_2" partition of "email" for values with (modulus 16, remainder 2);`);
    this.addSql(`create table "email_3" partition of "email" for values with (modulus 16, remainder 3);`);
    this.addSql(`create table "email_4" partition of "email" for values with (modulus 16, remainder 4);`);
    this.addSql(`create table "email_5" partition of "email" for values with (modulus 16, remainder 5);`);
    this.addSql(`create table "email_6" partition of "email" for values with (modulus 16, remainder 6);`);
    this.addSql(`create table "email_7" partition of "email" for values with (modulus 16, remainder 7);`);
    this.addSql(`create table "email_8" partition of "email" for values with (modulus 16, remainder 8);`);
    this.addSql(`create table "email_9" partition of "email" for values with (modulus 16, remainder 9);`);
    this.addSql(`create table "email_10" partition of "email" for values with (modulus 16, remainder 10);`);
    this.addSql(`create table "email_11" partition of "email" for values with (modulus 16, remainder 11);`);
    this.addSql(`create table "email_12" partition of "email" for values with (modulus 16, remainder 12);`);
    this.addSql(`create table "email_13" partition of "email" for values with (modulus 16, remainder 13);`);
    this.addSql(`create table "email_14" partition of "email" for values with (modulus 16, remainder 14);`);
    this.addSql(`create table "email_15" partition of "email" for values with (modulus 16, remainder 15);`);
    this.addSql(`alter table "email" add constraint "email_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "email" add constraint "email_folder_id_foreign" foreign key ("folder_id") references "folder" ("id");`);
    this.addSql(`alter table "email" add constraint "email_user_id_foreign" foreign key ("user_id") references "user" ("id") on delete cascade;`);
    this.addSql(`create or replace function "email_email_folder_in_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.folder f where f.id = \$1 and f.mailbox_id = \$2)', tg_table_schema) into ok using new.folder_id, new.mailbox_id;   if ok is not true then
    raise exception 'an email must be in a folder of its own mailbox' using errcode = '23514', constraint = 'email_folder_in_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_folder_in_mailbox" BEFORE INSERT OR UPDATE on "email" for each ROW execute function "email_email_folder_in_mailbox_fn"();`);
    this.addSql(`insert into "email" ("mailbox_id", "id", "folder_id", "user_id", "message_id", "subject", "from_address", "to_addresses", "cc_addresses", "body", "size_bytes", "seen", "flagged", "answered", "draft", "received_at", "created_at") select "mailbox_id", "id", "folder_id", "user_id", "message_id", "subject", "from_address", "to_addresses", "cc_addresses", "body", "size_bytes", "seen", "flagged", "answered", "draft", "received_at", "created_at" from "mikro_orm_partition_swap"."email";`);
    this.addSql(`alter table "email" enable row level security;`);
    this.addSql(`create policy "email_tenant" on "email" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);
    this.addSql(`drop schema if exists "mikro_orm_partition_swap" cascade;`);
  }

  override down(): void | Promise<void> {
    // The way back: the same rebuild into an ordinary table (the partitions go with the old parent).
    this.addSql(`create schema if not exists "mikro_orm_partition_swap";`);
    this.addSql(`alter table "email" set schema "mikro_orm_partition_swap";`);
    this.addSql(`create table "email" ("mailbox_id" uuid not null, "id" uuid not null, "folder_id" uuid not null, "user_id" uuid not null, "message_id" varchar(998) not null, "subject" text not null, "from_address" varchar(254) not null, "to_addresses" text[] not null, "cc_addresses" text[] not null, "body" text not null, "size_bytes" int not null, "seen" boolean not null, "flagged" boolean not null, "answered" boolean not null, "draft" boolean not null, "received_at" timestamptz not null, "created_at" timestamptz not null, primary key ("mailbox_id", "id"));`);
    this.addSql(`create index "email_folder_id_index" on "email" ("folder_id");`);
    this.addSql(`create index "email_user_id_index" on "email" ("user_id");`);
    this.addSql(`create index "email_folder_page_index" on "email" ("mailbox_id", "folder_id", "received_at", "id");`);
    this.addSql(`alter table "email" add constraint "email_size" check (size_bytes >= 0);`);
    this.addSql(`alter table "email" add constraint "email_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "email" add constraint "email_folder_id_foreign" foreign key ("folder_id") references "folder" ("id");`);
    this.addSql(`alter table "email" add constraint "email_user_id_foreign" foreign key ("user_id") references "user" ("id") on delete cascade;`);
    this.addSql(`create or replace function "email_email_folder_in_mailbox_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.mailbox_id is not distinct from old.mailbox_id then
    return new;   end if;   execute format('select exists (select 1 from %I.folder f where f.id = \$1 and f.mailbox_id = \$2)', tg_table_schema) into ok using new.folder_id, new.mailbox_id;   if ok is not true then
    raise exception 'an email must be in a folder of its own mailbox' using errcode = '23514', constraint = 'email_folder_in_mailbox';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_folder_in_mailbox" BEFORE INSERT OR UPDATE on "email" for each ROW execute function "email_email_folder_in_mailbox_fn"();`);
    this.addSql(`insert into "email" ("mailbox_id", "id", "folder_id", "user_id", "message_id", "subject", "from_address", "to_addresses", "cc_addresses", "body", "size_bytes", "seen", "flagged", "answered", "draft", "received_at", "created_at") select "mailbox_id", "id", "folder_id", "user_id", "message_id", "subject", "from_address", "to_addresses", "cc_addresses", "body", "size_bytes", "seen", "flagged", "answered", "draft", "received_at", "created_at" from "mikro_orm_partition_swap"."email";`);
    this.addSql(`alter table "email" enable row level security;`);
    this.addSql(`create policy "email_tenant" on "email" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);
    this.addSql(`drop schema if exists "mikro_orm_partition_swap" cascade;`);
  }

}
