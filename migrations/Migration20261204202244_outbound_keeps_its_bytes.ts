import { Migration } from '@mikro-orm/migrations';

/**
 * The outbound queue keeps its own copy of the raw message (issue #19): the message store becomes
 * per mailbox (co-located with its mail on Citus), and this reference table may not keep a foreign
 * key to a distributed table — nor does a forwarded message have a mailbox to be stored in.
 *
 * up(): copies each entry's bytes from `message`, drops the key, and removes the stored messages no
 * email refers to (before, only a queue entry kept them; now nothing will sweep them).
 * down(): puts back a stored message for every entry whose bytes are no longer in the store, then
 * the key. Its parse is not kept anywhere: such a row gets an empty one (nothing reads the parse of
 * a message no email refers to; the relay and the bounce read the bytes only).
 */
export class Migration20261204202244_outbound_keeps_its_bytes extends Migration {
  override name = 'Migration20261204202244_outbound_keeps_its_bytes';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbound_message" add "raw" bytea null;`);
    this.addSql(
      `update "outbound_message" o set "raw" = m."raw" from "message" m where m."content_hash" = o."content_hash";`,
    );
    this.addSql(`alter table "outbound_message" drop constraint "outbound_message_content_hash_foreign";`);
    this.addSql(`drop index "outbound_message_content_hash_index";`);
    this.addSql(`alter table "outbound_message" drop constraint "outbound_message_content";`);
    this.addSql(
      `delete from "message" m where not exists (select 1 from "email" e where e."content_hash" = m."content_hash");`,
    );
    this.addSql(
      `alter table "outbound_message" add constraint "outbound_message_content" check ((status in ('delivered', 'bounced') or raw is not null) and (content_hash is null) = (raw is null) and (content_hash is null or content_hash ~ '^[0-9a-f]{64}\$'));`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbound_message" drop constraint "outbound_message_content";`);
    this.addSql(
      `insert into "message" ("content_hash", "raw", "size_bytes", "envelope", "structure", "attachments", "html", "created_at")
       select distinct on (o."content_hash") o."content_hash", o."raw", octet_length(o."raw"), '{}', '{}', '[]', null, o."queued_at"
         from "outbound_message" o
        where o."content_hash" is not null
          and not exists (select 1 from "message" m where m."content_hash" = o."content_hash")
        order by o."content_hash", o."queued_at";`,
    );
    this.addSql(`alter table "outbound_message" drop column "raw";`);
    this.addSql(
      `alter table "outbound_message" add constraint "outbound_message_content_hash_foreign" foreign key ("content_hash") references "message" ("content_hash") on delete restrict;`,
    );
    this.addSql(`create index "outbound_message_content_hash_index" on "outbound_message" ("content_hash");`);
    this.addSql(
      `alter table "outbound_message" add constraint "outbound_message_content" check (status in ('delivered', 'bounced') or content_hash is not null);`,
    );
  }
}
