import { Migration } from '@mikro-orm/migrations';

/**
 * An owner on every tenant row (issue #19): the tenant policies compare the row's own owner_id with
 * the acting user, without the subquery Citus refuses in a policy. Existing rows take their owner
 * from their domain (addresses) or their mailbox (the rest); composite keys keep it exact from then
 * on (src/infrastructure/persistence/mappings/owner-keys.ts). email already carries its owner as
 * user_id. mailbox_state's key to its mailbox loses ON UPDATE CASCADE, which Citus refuses on a key
 * that includes the distribution column (ids never change, so nothing depended on it).
 */
export class Migration20261204163558_owner_on_every_tenant_row extends Migration {

  override name = 'Migration20261204163558_owner_on_every_tenant_row';

  override up(): void | Promise<void> {
    this.addSql(`drop policy "address_tenant" on "address";`);

    this.addSql(`drop policy "mail_change_tenant" on "mail_change";`);

    this.addSql(`drop policy "mailbox_state_tenant" on "mailbox_state";`);
    this.addSql(`alter table "mailbox_state" drop constraint "mailbox_state_mailbox_id_foreign";`);

    this.addSql(`drop policy "mailbox_password_tenant" on "mailbox_password";`);

    this.addSql(`drop policy "folder_tenant" on "folder";`);

    this.addSql(`drop policy "delivery_receipt_tenant" on "delivery_receipt";`);

    this.addSql(`drop policy "app_password_tenant" on "app_password";`);

    this.addSql(`alter table "domain" add constraint "domain_id_owner_unique" unique ("id", "owner_id");`);

    this.addSql(`alter table "address" add "owner_id" uuid null;`);
    this.addSql(`update "address" a set "owner_id" = d."owner_id" from "domain" d where d."id" = a."domain_id";`);
    this.addSql(`alter table "address" alter column "owner_id" set not null;`);
    this.addSql(`alter table "address" add constraint "address_domain_owner_foreign" foreign key ("domain_id", "owner_id") references "domain" ("id", "owner_id") on update cascade on delete cascade;`);
    this.addSql(`alter table "address" add constraint "address_id_owner_unique" unique ("id", "owner_id");`);
    this.addSql(`create policy "address_tenant" on "address" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`alter table "mail_change" add "owner_id" uuid null;`);
    this.addSql(`update "mail_change" r set "owner_id" = a."owner_id" from "address" a where a."id" = r."mailbox_id";`);
    this.addSql(`alter table "mail_change" alter column "owner_id" set not null;`);
    this.addSql(`alter table "mail_change" add constraint "mail_change_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on delete cascade;`);
    this.addSql(`create policy "mail_change_tenant" on "mail_change" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`alter table "mailbox_state" add "owner_id" uuid null;`);
    this.addSql(`update "mailbox_state" r set "owner_id" = a."owner_id" from "address" a where a."id" = r."mailbox_id";`);
    this.addSql(`alter table "mailbox_state" alter column "owner_id" set not null;`);
    this.addSql(`alter table "mailbox_state" add constraint "mailbox_state_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on delete cascade;`);
    this.addSql(`alter table "mailbox_state" add constraint "mailbox_state_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on update no action on delete cascade;`);
    this.addSql(`create policy "mailbox_state_tenant" on "mailbox_state" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`alter table "mailbox_password" add "owner_id" uuid null;`);
    this.addSql(`update "mailbox_password" r set "owner_id" = a."owner_id" from "address" a where a."id" = r."mailbox_id";`);
    this.addSql(`alter table "mailbox_password" alter column "owner_id" set not null;`);
    this.addSql(`alter table "mailbox_password" add constraint "mailbox_password_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on update cascade on delete cascade;`);
    this.addSql(`create policy "mailbox_password_tenant" on "mailbox_password" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`alter table "folder" add "owner_id" uuid null;`);
    this.addSql(`update "folder" r set "owner_id" = a."owner_id" from "address" a where a."id" = r."mailbox_id";`);
    this.addSql(`alter table "folder" alter column "owner_id" set not null;`);
    this.addSql(`alter table "folder" add constraint "folder_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on delete cascade;`);
    this.addSql(`create policy "folder_tenant" on "folder" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`alter table "email" add constraint "email_mailbox_owner_foreign" foreign key ("mailbox_id", "user_id") references "address" ("id", "owner_id") on delete cascade;`);

    this.addSql(`alter table "delivery_receipt" add "owner_id" uuid null;`);
    this.addSql(`update "delivery_receipt" r set "owner_id" = a."owner_id" from "address" a where a."id" = r."mailbox_id";`);
    this.addSql(`alter table "delivery_receipt" alter column "owner_id" set not null;`);
    this.addSql(`alter table "delivery_receipt" add constraint "delivery_receipt_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on delete cascade;`);
    this.addSql(`create policy "delivery_receipt_tenant" on "delivery_receipt" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`alter table "app_password" add "owner_id" uuid null;`);
    this.addSql(`update "app_password" r set "owner_id" = a."owner_id" from "address" a where a."id" = r."mailbox_id";`);
    this.addSql(`alter table "app_password" alter column "owner_id" set not null;`);
    this.addSql(`alter table "app_password" add constraint "app_password_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on update cascade on delete cascade;`);
    this.addSql(`create policy "app_password_tenant" on "app_password" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop policy "address_tenant" on "address";`);
    this.addSql(`alter table "address" drop constraint "address_domain_owner_foreign";`);

    this.addSql(`drop policy "app_password_tenant" on "app_password";`);
    this.addSql(`alter table "app_password" drop constraint "app_password_mailbox_owner_foreign";`);

    this.addSql(`drop policy "delivery_receipt_tenant" on "delivery_receipt";`);
    this.addSql(`alter table "delivery_receipt" drop constraint "delivery_receipt_mailbox_owner_foreign";`);

    this.addSql(`alter table "email" drop constraint "email_mailbox_owner_foreign";`);

    this.addSql(`drop policy "folder_tenant" on "folder";`);
    this.addSql(`alter table "folder" drop constraint "folder_mailbox_owner_foreign";`);

    this.addSql(`drop policy "mail_change_tenant" on "mail_change";`);
    this.addSql(`alter table "mail_change" drop constraint "mail_change_mailbox_owner_foreign";`);

    this.addSql(`drop policy "mailbox_password_tenant" on "mailbox_password";`);
    this.addSql(`alter table "mailbox_password" drop constraint "mailbox_password_mailbox_owner_foreign";`);

    this.addSql(`drop policy "mailbox_state_tenant" on "mailbox_state";`);
    this.addSql(`alter table "mailbox_state" drop constraint "mailbox_state_mailbox_owner_foreign";`);
    this.addSql(`alter table "mailbox_state" drop constraint "mailbox_state_mailbox_id_foreign";`);

    this.addSql(`alter table "address" drop constraint "address_id_owner_unique";`);
    this.addSql(`alter table "address" drop column "owner_id";`);
    this.addSql(`create policy "address_tenant" on "address" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`alter table "app_password" drop column "owner_id";`);
    this.addSql(`create policy "app_password_tenant" on "app_password" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`alter table "delivery_receipt" drop column "owner_id";`);
    this.addSql(`create policy "delivery_receipt_tenant" on "delivery_receipt" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`alter table "domain" drop constraint "domain_id_owner_unique";`);

    this.addSql(`alter table "folder" drop column "owner_id";`);
    this.addSql(`create policy "folder_tenant" on "folder" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`alter table "mail_change" drop column "owner_id";`);
    this.addSql(`create policy "mail_change_tenant" on "mail_change" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`alter table "mailbox_password" drop column "owner_id";`);
    this.addSql(`create policy "mailbox_password_tenant" on "mailbox_password" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`alter table "mailbox_state" drop column "owner_id";`);
    this.addSql(`alter table "mailbox_state" add constraint "mailbox_state_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on update cascade on delete cascade;`);
    this.addSql(`create policy "mailbox_state_tenant" on "mailbox_state" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);
  }

}
