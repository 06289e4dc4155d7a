import { Migration } from '@mikro-orm/migrations';

/**
 * The outbound queue's tenant policy, written while the policies still wrapped the acting user in a
 * scalar subquery, in the form the others took in `policies_without_subquery_wrapper` (Citus
 * refuses any subquery in a policy of a reference or distributed table).
 */
export class Migration20261204180500_outbound_policy_without_subquery extends Migration {

  override name = 'Migration20261204180500_outbound_policy_without_subquery';

  override up(): void | Promise<void> {
    this.addSql(`drop policy "outbound_message_tenant" on "outbound_message";`);
    this.addSql(`create policy "outbound_message_tenant" on "outbound_message" using (nullif(current_setting('aether.user_id', true), '')::uuid is null or tenant_id = nullif(current_setting('aether.user_id', true), '')::uuid) with check (nullif(current_setting('aether.user_id', true), '')::uuid is null or tenant_id = nullif(current_setting('aether.user_id', true), '')::uuid);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop policy "outbound_message_tenant" on "outbound_message";`);
    this.addSql(`create policy "outbound_message_tenant" on "outbound_message" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or tenant_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or tenant_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);
  }

}
