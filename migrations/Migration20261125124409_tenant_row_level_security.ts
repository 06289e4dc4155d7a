import { Migration } from '@mikro-orm/migrations';

export class Migration20261125124409_tenant_row_level_security extends Migration {

  override name = 'Migration20261125124409_tenant_row_level_security';

  override up(): void | Promise<void> {
    this.addSql(`alter table "user" enable row level security;`);
    this.addSql(`create policy "user_tenant" on "user" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);

    this.addSql(`alter table "domain" enable row level security;`);
    this.addSql(`create policy "domain_tenant" on "domain" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);

    this.addSql(`alter table "address" enable row level security;`);
    this.addSql(`create policy "address_tenant" on "address" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`alter table "folder" enable row level security;`);
    this.addSql(`create policy "folder_tenant" on "folder" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`alter table "email" enable row level security;`);
    this.addSql(`create policy "email_tenant" on "email" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop policy "address_tenant" on "address";`);

    this.addSql(`drop policy "domain_tenant" on "domain";`);

    this.addSql(`drop policy "email_tenant" on "email";`);

    this.addSql(`drop policy "folder_tenant" on "folder";`);

    this.addSql(`drop policy "user_tenant" on "user";`);

    this.addSql(`alter table "address" disable row level security;`);

    this.addSql(`alter table "domain" disable row level security;`);

    this.addSql(`alter table "email" disable row level security;`);

    this.addSql(`alter table "folder" disable row level security;`);

    this.addSql(`alter table "user" disable row level security;`);
  }

}
