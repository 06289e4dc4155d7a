import { Migration } from '@mikro-orm/migrations';

/**
 * A mailbox's counters leave the directory (issue #19, docs/scaling.md item 2): `address` is a
 * reference table on Citus, so the quota and bytes used that every delivery locks and writes move to
 * `mailbox_usage`, one row per mailbox, distributed by `mailbox_id` with the mailbox's mail. up()
 * copies every mailbox's quota and bytes used (each mailbox gets its row) before the columns and
 * their checks leave `address`; down() puts them back with the values.
 */
/** The lookups' schema (Migration20261204142500_mail_lookup_views): Dovecot's userdb reads the quota. */
const LOOKUP_SCHEMA = `(case current_schema() when 'public' then 'aether' else current_schema() end) || '_mail_v1'`;
const SERVING = `m.kind = 'mailbox' and d.verified and d.status = 'active' and u.status = 'active' and m.status = 'active'`;
const USERDB = (quota: string, join: string) => `do \$do\$ begin
  execute format(\$v\$create or replace view %I.dovecot_userdb as
    select m.address as username, d.name || '/' || m.id as home, '*:bytes=' || ${quota} as quota_rule
      from address m ${join}join domain d on d.id = m.domain_id join "user" u on u.id = d.owner_id
      where ${SERVING}\$v\$, ${LOOKUP_SCHEMA});
end \$do\$;`;

export class Migration20261204233959_mailbox_usage_off_the_directory extends Migration {

  override name = 'Migration20261204233959_mailbox_usage_off_the_directory';

  override up(): void | Promise<void> {
    this.addSql(`create table "mailbox_usage" ("mailbox_id" uuid not null, "owner_id" uuid not null, "quota_bytes" bigint not null, "used_bytes" bigint not null default '0', "version" int not null default 1, primary key ("mailbox_id"));`);
    this.addSql(`insert into "mailbox_usage" ("mailbox_id", "owner_id", "quota_bytes", "used_bytes", "version")
      select "id", "owner_id", "quota_bytes", "used_bytes", 1 from "address" where "kind" = 'mailbox';`);
    // the same view, its quota read from the usage row (every mailbox has one)
    this.addSql(USERDB('mu.quota_bytes', 'join mailbox_usage mu on mu.mailbox_id = m.id '));

    this.addSql(`alter table "address" drop constraint "address_quota";`);
    this.addSql(`alter table "address" drop constraint "address_mailbox_columns";`);
    this.addSql(`alter table "address" drop column "quota_bytes", drop column "used_bytes";`);
    this.addSql(`alter table "address" add constraint "address_mailbox_columns" check (kind <> 'mailbox' or (status is not null and address !~ '^@'));`);

    this.addSql(`alter table "mailbox_usage" add constraint "mailbox_usage_mailbox_id_foreign" foreign key ("mailbox_id") references "address" ("id") on update no action on delete cascade;`);
    this.addSql(`alter table "mailbox_usage" add constraint "mailbox_usage_mailbox_owner_foreign" foreign key ("mailbox_id", "owner_id") references "address" ("id", "owner_id") on delete cascade;`);
    this.addSql(`alter table "mailbox_usage" add constraint "mailbox_usage_bytes" check (quota_bytes >= 0 and used_bytes >= 0);`);
    this.addSql(`alter table "mailbox_usage" add constraint "mailbox_usage_quota" check (quota_bytes = 0 or used_bytes <= quota_bytes);`);
    this.addSql(`alter table "mailbox_usage" enable row level security;`);
    this.addSql(`create policy "mailbox_usage_tenant" on "mailbox_usage" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "address" drop constraint "address_mailbox_columns";`);
    this.addSql(`alter table "address" add "quota_bytes" bigint null, add "used_bytes" bigint null;`);
    this.addSql(`update "address" a set "quota_bytes" = u."quota_bytes", "used_bytes" = u."used_bytes"
      from "mailbox_usage" u where u."mailbox_id" = a."id";`);
    this.addSql(USERDB('m.quota_bytes', ''));
    this.addSql(`drop table if exists "mailbox_usage" cascade;`);
    this.addSql(`alter table "address" add constraint "address_quota" check (quota_bytes = 0 or used_bytes <= quota_bytes);`);
    this.addSql(`alter table "address" add constraint "address_mailbox_columns" check (kind <> 'mailbox' or (quota_bytes is not null and used_bytes is not null and status is not null and address !~ '^@' and quota_bytes >= 0 and used_bytes >= 0));`);
  }

}
