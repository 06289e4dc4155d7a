import type { PolicyDef } from '@mikro-orm/core';

/**
 * Row-level security for tenant isolation. A unit of work confined to a user sets the
 * transaction-local `aether.user_id`; the policies then show (and accept) only that user's rows,
 * even to a query that forgot its filter. Without the setting (system work such as inbound
 * delivery, which crosses tenants) every row is visible. Policies never bind the table owner
 * (migrations); they bind the application role.
 */
export const ACTING_USER_SETTING = 'aether.user_id';

// a scalar subquery, so PostgreSQL reads the setting once per query (an InitPlan), not once per row
const actor = `(select nullif(current_setting('${ACTING_USER_SETTING}', true), '')::uuid as acting_user)`;

export function tenantPolicy(table: string, owned: (actor: string) => string): PolicyDef[] {
  const rule = `${actor} is null or ${owned(actor)}`;
  return [{ name: `${table}_tenant`, command: 'all', using: rule, check: rule }];
}
