import { Migration } from '@mikro-orm/migrations';

/**
 * Tenant policies without the scalar-subquery wrapper around the acting user: Citus refuses any
 * subquery in a policy of a distributed or reference table (issue #19). The policies that look up
 * ownership through another table keep their subquery until their rows carry an owner of their own.
 * Partitions carry a copy of their parent's policies (Migration20261201224800), so both directions
 * end by copying the parent's policies onto every partition again.
 */
const RECOPY_PARTITION_POLICIES = `do \$\$
declare
  part record;
  pol record;
  roles text;
begin
  for part in select i.inhrelid::regclass as child, i.inhparent as parent
      from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_class c on c.oid = i.inhrelid
      where p.relnamespace = current_schema()::regnamespace and p.relrowsecurity and c.relkind in ('r', 'p') loop
    for pol in select polname from pg_policy where polrelid = part.child loop
      execute format('drop policy %I on %s', pol.polname, part.child);
    end loop;
    for pol in select * from pg_policy where polrelid = part.parent loop
      select string_agg(case when r = 0 then 'public' else quote_ident(pg_get_userbyid(r)) end, ', ')
        into roles from unnest(pol.polroles) r;
      execute format('create policy %I on %s as %s for %s to %s', pol.polname, part.child,
          case when pol.polpermissive then 'permissive' else 'restrictive' end,
          case pol.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end,
          roles)
        || coalesce(' using (' || pg_get_expr(pol.polqual, pol.polrelid) || ')', '')
        || coalesce(' with check (' || pg_get_expr(pol.polwithcheck, pol.polrelid) || ')', '');
    end loop;
  end loop;
end \$\$;`;

export class Migration20261204163140_policies_without_subquery_wrapper extends Migration {

  override name = 'Migration20261204163140_policies_without_subquery_wrapper';

  override up(): void | Promise<void> {
    this.addSql(`drop policy "outbox_event_tenant" on "outbox_event";`);

    this.addSql(`drop policy "message_tenant" on "message";`);

    this.addSql(`drop policy "user_tenant" on "user";`);

    this.addSql(`drop policy "domain_tenant" on "domain";`);

    this.addSql(`drop policy "address_tenant" on "address";`);

    this.addSql(`drop policy "mail_change_tenant" on "mail_change";`);

    this.addSql(`drop policy "mailbox_state_tenant" on "mailbox_state";`);

    this.addSql(`drop policy "mailbox_password_tenant" on "mailbox_password";`);

    this.addSql(`drop policy "folder_tenant" on "folder";`);

    this.addSql(`drop policy "email_tenant" on "email";`);

    this.addSql(`drop policy "delivery_receipt_tenant" on "delivery_receipt";`);

    this.addSql(`drop policy "app_password_tenant" on "app_password";`);

    this.addSql(`create policy "outbox_event_tenant" on "outbox_event" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or tenant_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or tenant_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`create policy "message_tenant" on "message" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "user_tenant" on "user" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`create policy "domain_tenant" on "domain" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or owner_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`create policy "address_tenant" on "address" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "mail_change_tenant" on "mail_change" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "mailbox_state_tenant" on "mailbox_state" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "mailbox_password_tenant" on "mailbox_password" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "folder_tenant" on "folder" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "email_tenant" on "email" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or user_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or user_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);

    this.addSql(`create policy "delivery_receipt_tenant" on "delivery_receipt" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(`create policy "app_password_tenant" on "app_password" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid)) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = nullif(current_setting('aether.user_id', true), '')::uuid));`);

    this.addSql(RECOPY_PARTITION_POLICIES);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop policy "address_tenant" on "address";`);

    this.addSql(`drop policy "app_password_tenant" on "app_password";`);

    this.addSql(`drop policy "delivery_receipt_tenant" on "delivery_receipt";`);

    this.addSql(`drop policy "domain_tenant" on "domain";`);

    this.addSql(`drop policy "email_tenant" on "email";`);

    this.addSql(`drop policy "folder_tenant" on "folder";`);

    this.addSql(`drop policy "mail_change_tenant" on "mail_change";`);

    this.addSql(`drop policy "mailbox_password_tenant" on "mailbox_password";`);

    this.addSql(`drop policy "mailbox_state_tenant" on "mailbox_state";`);

    this.addSql(`drop policy "message_tenant" on "message";`);

    this.addSql(`drop policy "outbox_event_tenant" on "outbox_event";`);

    this.addSql(`drop policy "user_tenant" on "user";`);

    this.addSql(`create policy "address_tenant" on "address" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from domain d where d.id = domain_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "app_password_tenant" on "app_password" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "delivery_receipt_tenant" on "delivery_receipt" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "domain_tenant" on "domain" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);

    this.addSql(`create policy "email_tenant" on "email" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);

    this.addSql(`create policy "folder_tenant" on "folder" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "mail_change_tenant" on "mail_change" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "mailbox_password_tenant" on "mailbox_password" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "mailbox_state_tenant" on "mailbox_state" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from address m join domain d on d.id = m.domain_id where m.id = mailbox_id and d.owner_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "message_tenant" on "message" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user))) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or exists (select 1 from email e where e.content_hash = message.content_hash and e.user_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)));`);

    this.addSql(`create policy "outbox_event_tenant" on "outbox_event" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or tenant_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or tenant_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);

    this.addSql(`create policy "user_tenant" on "user" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);

    this.addSql(RECOPY_PARTITION_POLICIES);
  }

}
