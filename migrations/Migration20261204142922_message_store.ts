import { Migration } from '@mikro-orm/migrations';

export class Migration20261204142922_message_store extends Migration {

  override name = 'Migration20261204142922_message_store';

  override up(): void | Promise<void> {
    this.addSql(`create table "message" ("content_hash" varchar(64) not null, "raw" bytea not null, "size_bytes" bigint not null, "envelope" jsonb not null, "structure" jsonb not null, "attachments" jsonb not null, "html" text null, "created_at" timestamptz not null, primary key ("content_hash"));`);

    this.addSql(`create table "mail_change" ("mailbox_id" uuid not null, "id" uuid not null, "modseq" bigint not null, "kind" text not null, "folder_id" uuid not null, "uid" bigint null, "email_id" uuid null, "created_at" timestamptz not null, primary key ("mailbox_id", "id"));`);
    this.addSql(`create index "mail_change_modseq_index" on "mail_change" ("mailbox_id", "modseq");`);
    this.addSql(`create index "mail_change_created_index" on "mail_change" ("created_at");`);

    this.addSql(`create table "mailbox_state" ("mailbox_id" uuid not null, "highest_modseq" bigint not null default '0', "journal_floor" bigint not null default '0', primary key ("mailbox_id"));`);

    // existing folders: UIDVALIDITY from their creation time (as new folders get it), UIDNEXT after their email below
    this.addSql(`alter table "folder" add "uid_validity" bigint null, add "uid_next" bigint not null default '1';`);
    this.addSql(`update "folder" set "uid_validity" = greatest(1, least(4294967295, floor(extract(epoch from "created_at"))))::bigint;`);
    this.addSql(`alter table "folder" alter column "uid_validity" set not null;`);
    this.addSql(`alter table "folder" add constraint "folder_uid_validity" check (uid_validity >= 1 and uid_validity <= 4294967295);`);
    this.addSql(`alter table "folder" add constraint "folder_uid_next" check (uid_next >= 1 and uid_next <= 4294967296);`);

    this.addSql(`alter table "email" add "content_hash" varchar(64) null, add "uid" bigint null, add "modseq" bigint null, add "deleted" boolean not null default false, add "keywords" text[] not null default '{}';`);
    // Existing email moves forward: each gets a raw message synthesised from its fields (the shape
    // of domain/message.ts plainMessage: text/plain, UTF-8, 8bit, CRLF), stored content-addressed,
    // a UID per folder in received order, and modseq 1. Its size_bytes (what the quota counted) is
    // kept, so used_bytes stays the sum of the sizes; new mail counts its raw octets.
    this.addSql(`create temporary table "migrated_email" on commit drop as
      select e."mailbox_id", e."id", r."raw", encode(sha256(r."raw"), 'hex') as "hash",
        row_number() over (partition by e."folder_id" order by e."received_at", e."id") as "uid"
      from "email" e cross join lateral (select convert_to(
        'From: ' || e."from_address" || E'\\r\\nTo: ' || array_to_string(e."to_addresses", ', ')
        || case when cardinality(e."cc_addresses") > 0 then E'\\r\\nCc: ' || array_to_string(e."cc_addresses", ', ') else '' end
        || E'\\r\\nSubject: ' || e."subject"
        || E'\\r\\nDate: ' || to_char(e."received_at" at time zone 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS') || ' +0000'
        || E'\\r\\nMessage-ID: ' || e."message_id"
        || E'\\r\\nMIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\n'
        || regexp_replace(e."body", E'\\r?\\n', E'\\r\\n', 'g'), 'UTF8') as "raw") r;`);
    this.addSql(`insert into "message" ("content_hash", "raw", "size_bytes", "envelope", "structure", "attachments", "html", "created_at")
      select distinct on (m."hash") m."hash", m."raw", octet_length(m."raw"),
        jsonb_build_object('date', to_char(e."received_at" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'subject', e."subject",
          'from', jsonb_build_array(jsonb_build_object('name', '', 'address', e."from_address")), 'sender', '[]'::jsonb, 'replyTo', '[]'::jsonb,
          'to', (select coalesce(jsonb_agg(jsonb_build_object('name', '', 'address', a)), '[]'::jsonb) from unnest(e."to_addresses") a),
          'cc', (select coalesce(jsonb_agg(jsonb_build_object('name', '', 'address', a)), '[]'::jsonb) from unnest(e."cc_addresses") a),
          'bcc', '[]'::jsonb, 'messageId', e."message_id", 'inReplyTo', null, 'references', null),
        jsonb_build_object('part', '', 'type', 'text', 'subtype', 'plain', 'params', jsonb_build_object('charset', 'utf-8'), 'id', null,
          'description', null, 'encoding', '8bit', 'size', octet_length(e."body"), 'lines', cardinality(string_to_array(e."body", E'\\n')),
          'disposition', null, 'language', null, 'children', '[]'::jsonb),
        '[]'::jsonb, null, now()
      from "migrated_email" m join "email" e on e."mailbox_id" = m."mailbox_id" and e."id" = m."id"
      order by m."hash";`);
    this.addSql(`update "email" e set "content_hash" = m."hash", "uid" = m."uid", "modseq" = 1 from "migrated_email" m where e."mailbox_id" = m."mailbox_id" and e."id" = m."id";`);
    this.addSql(`update "folder" f set "uid_next" = coalesce((select max(e."uid") + 1 from "email" e where e."mailbox_id" = f."mailbox_id" and e."folder_id" = f."id"), 1);`);
    this.addSql(`insert into "mailbox_state" ("mailbox_id", "highest_modseq", "journal_floor") select "id", 1, 1 from "address" where "kind" = 'mailbox';`);
    this.addSql(`alter table "email" alter column "content_hash" set not null, alter column "uid" set not null, alter column "modseq" set not null;`);
    this.addSql(`alter table "email" add constraint "email_content_hash_foreign" foreign key ("content_hash") references "message" ("content_hash");`);
    this.addSql(`create index "email_content_hash_index" on "email" ("content_hash");`);
    this.addSql(`create index "email_modseq_index" on "email" ("mailbox_id", "modseq");`);
    this.addSql(`create index "email_keywords_index" on "email" using gin ("keywords");`);
    this.addSql(`alter table "email" add constraint "email_folder_uid_unique" unique ("mailbox_id", "folder_id", "uid");`);
    this.addSql(`alter table "email" add constraint "email_uid" check (uid >= 1 and uid <= 4294967295);`);
    this.addSql(`alter table "email" add constraint "email_modseq" check (modseq >= 1);`);
    this.addSql(`alter table "email" add constraint "email_keywords" check (cardinality(keywords) <= 64);`);
    this.addSql(`create or replace function "email_email_uid_allocated_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.uid is not distinct from old.uid then
    return new;   end if;   execute format('select exists (select 1 from %I.folder f where f.id = \$1 and \$2 < f.uid_next)', tg_table_schema) into ok using new.folder_id, new.uid;   if ok is not true then
    raise exception 'an email UID must be below its folder UIDNEXT' using errcode = '23514', constraint = 'email_uid_allocated';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_uid_allocated" BEFORE INSERT OR UPDATE on "email" for each ROW execute function "email_email_uid_allocated_fn"();`);

    this.addSql(`alter table "message" add constraint "message_hash" check (content_hash ~ '^[0-9a-f]{64}\$');`);
    this.addSql(`alter table "message" add constraint "message_size" check (size_bytes = octet_length(raw));`);
    this.addSql(`alter table "message" enable row level security;`);
    this.addSql(`create policy "message_tenant" on "message" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`alter table "mail_change" add constraint "mail_change_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "mail_change" add constraint "mail_change_modseq" check (modseq >= 1);`);
    this.addSql(`alter table "mail_change" add constraint "mail_change_email" check (kind = 'folder' or (uid is not null and email_id is not null));`);
    this.addSql(`alter table "mail_change" add constraint "mail_change_kind_check" check ("kind" in ('added', 'changed', 'expunged', 'folder'));`);
    this.addSql(`alter table "mail_change" enable row level security;`);
    this.addSql(`create policy "mail_change_tenant" on "mail_change" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`alter table "mailbox_state" add constraint "mailbox_state_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "mailbox_state" add constraint "mailbox_state_modseq" check (highest_modseq >= 0 and journal_floor >= 0 and journal_floor <= highest_modseq);`);
    this.addSql(`alter table "mailbox_state" enable row level security;`);
    this.addSql(`create policy "mailbox_state_tenant" on "mailbox_state" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "email" drop constraint "email_content_hash_foreign";`);

    this.addSql(`drop table if exists "message" cascade;`);
    this.addSql(`drop table if exists "mail_change" cascade;`);
    this.addSql(`drop table if exists "mailbox_state" cascade;`);

    this.addSql(`drop index "email_content_hash_index";`);
    this.addSql(`drop index "email_modseq_index";`);
    this.addSql(`drop index "email_keywords_index";`);
    this.addSql(`alter table "email" drop constraint "email_folder_uid_unique";`);
    this.addSql(`alter table "email" drop constraint "email_uid";`);
    this.addSql(`alter table "email" drop constraint "email_modseq";`);
    this.addSql(`alter table "email" drop constraint "email_keywords";`);
    this.addSql(`drop trigger if exists "email_uid_allocated" on "email";`);
    this.addSql(`drop function if exists "email_email_uid_allocated_fn"();`);
    this.addSql(`alter table "email" drop column "content_hash", drop column "uid", drop column "modseq", drop column "deleted", drop column "keywords";`);

    this.addSql(`alter table "folder" drop constraint "folder_uid_validity";`);
    this.addSql(`alter table "folder" drop constraint "folder_uid_next";`);
    this.addSql(`alter table "folder" drop column "uid_validity", drop column "uid_next";`);
  }

}
