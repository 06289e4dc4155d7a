import { Migration } from '@mikro-orm/migrations';

export class Migration20261204150815_delivery_receipts extends Migration {

  override name = 'Migration20261204150815_delivery_receipts';

  override up(): void | Promise<void> {
    this.addSql(`create table "delivery_receipt" ("mailbox_id" uuid not null, "content_hash" varchar(64) not null, "delivered_at" timestamptz not null, primary key ("mailbox_id", "content_hash"));`);

    this.addSql(`alter table "delivery_receipt" add constraint "delivery_receipt_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on delete cascade;`);
    this.addSql(`alter table "delivery_receipt" add constraint "delivery_receipt_hash" check (content_hash ~ '^[0-9a-f]{64}\$');`);
    this.addSql(`alter table "delivery_receipt" enable row level security;`);
    this.addSql(`create policy "delivery_receipt_tenant" on "delivery_receipt" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "delivery_receipt" cascade;`);
  }

}
