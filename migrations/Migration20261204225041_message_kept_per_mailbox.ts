import { Migration } from '@mikro-orm/migrations';

const actor = `nullif(current_setting('aether.user_id', true), '')::uuid`;

/**
 * The message store keeps a message once per mailbox instead of once for all (issue #19): `message`
 * is keyed by `(mailbox_id, content_hash)` and carries its mailbox's owner, so on Citus it is
 * distributed by `mailbox_id` and co-located with `email`, and its tenant policy compares a column
 * of the row (Citus refuses the subquery through `email` it had). `email`'s key to it becomes
 * `(mailbox_id, content_hash) → message (mailbox_id, content_hash)`, both including the
 * distribution column.
 *
 * up(): one copy of each message for every mailbox that holds an email of it (owner: the email's
 * `user_id`, which its own key keeps equal to the mailbox's owner). A message no email refers to is
 * garbage the store's sweep would remove, and it has no mailbox to be kept in: it is dropped.
 * down(): the copies merge back into one row per hash (the earliest kept; the copies hold the same
 * bytes, as the hash says), and the keys and policy return.
 */
export class Migration20261204225041_message_kept_per_mailbox extends Migration {
  override name = 'Migration20261204225041_message_kept_per_mailbox';

  override up(): void | Promise<void> {
    this.addSql(`drop policy "message_tenant" on "message";`);
    this.addSql(`alter table "email" drop constraint "email_content_hash_foreign";`);
    this.addSql(`alter table "message" drop constraint "message_pkey";`);
    this.addSql(`alter table "message" add "mailbox_id" uuid null, add "owner_id" uuid null;`);
    this.addSql(
      `insert into "message" ("mailbox_id", "owner_id", "content_hash", "raw", "size_bytes", "envelope", "structure", "attachments", "html", "created_at")
       select e."mailbox_id", e."user_id", m."content_hash", m."raw", m."size_bytes", m."envelope", m."structure", m."attachments", m."html", m."created_at"
         from (select distinct "mailbox_id", "user_id", "content_hash" from "email") e
         join "message" m on m."content_hash" = e."content_hash" and m."mailbox_id" is null;`,
    );
    this.addSql(`delete from "message" where "mailbox_id" is null;`);
    this.addSql(`alter table "message" alter "mailbox_id" set not null, alter "owner_id" set not null;`);
    this.addSql(`alter table "message" add primary key ("mailbox_id", "content_hash");`);
    this.addSql(
      `alter table "message" add constraint "message_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on update no action on delete cascade;`,
    );
    this.addSql(
      `alter table "message" add constraint "message_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on delete cascade;`,
    );
    this.addSql(
      `create policy "message_tenant" on "message" using (${actor} is null or owner_id = ${actor}) with check (${actor} is null or owner_id = ${actor});`,
    );
    this.addSql(`drop index "email_content_hash_index";`);
    this.addSql(`create index "email_mailbox_id_content_hash_index" on "email" ("mailbox_id", "content_hash");`);
    this.addSql(
      `alter table "email" add constraint "email_content_foreign" foreign key ("mailbox_id", "content_hash") references "message" ("mailbox_id", "content_hash") on update no action;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "email" drop constraint "email_content_foreign";`);
    this.addSql(`drop index "email_mailbox_id_content_hash_index";`);
    this.addSql(`drop policy "message_tenant" on "message";`);
    this.addSql(`alter table "message" drop constraint "message_mailbox_id_foreign";`);
    this.addSql(`alter table "message" drop constraint "message_mailbox_owner_foreign";`);
    this.addSql(`alter table "message" drop constraint "message_pkey";`);
    this.addSql(
      `delete from "message" m
        where exists (select 1 from "message" k
                       where k."content_hash" = m."content_hash"
                         and (k."created_at", k."mailbox_id") < (m."created_at", m."mailbox_id"));`,
    );
    this.addSql(`alter table "message" drop column "mailbox_id", drop column "owner_id";`);
    this.addSql(`alter table "message" add primary key ("content_hash");`);
    this.addSql(
      `create policy "message_tenant" on "message" using (${actor} is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = ${actor})) with check (${actor} is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = ${actor}));`,
    );
    this.addSql(`create index "email_content_hash_index" on "email" ("content_hash");`);
    this.addSql(
      `alter table "email" add constraint "email_content_hash_foreign" foreign key ("content_hash") references "message" ("content_hash");`,
    );
  }
}
