import type { PolicyDef } from '@mikro-orm/core';

/**
 * Row-level security for tenant isolation. A unit of work confined to a user sets the
 * transaction-local `aether.user_id`; the policies then show (and accept) only that user's rows,
 * even to a query that forgot its filter. Without the setting (system work such as inbound
 * delivery, which crosses tenants) every row is visible. Policies never bind the table owner
 * (migrations); they bind the application role.
 */
export const ACTING_USER_SETTING = 'aether.user_id';

// no subquery, not even the scalar one that would make it an InitPlan: Citus refuses any subquery in
// a policy of a distributed or reference table (issue #19). current_setting is stable, so an index
// condition on it is still evaluated once per scan.
const actor = `nullif(current_setting('${ACTING_USER_SETTING}', true), '')::uuid`;

export function tenantPolicy(table: string, owned: (actor: string) => string): PolicyDef[] {
  const rule = `${actor} is null or ${owned(actor)}`;
  return [{ name: `${table}_tenant`, command: 'all', using: rule, check: rule }];
}
