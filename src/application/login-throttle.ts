import { sqlTable } from './sql-table.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LoginThrottle, type LoginThrottlePolicy } from '../domain/login-throttle.js';

/** Windows that ended are removed a few at a time by the attempts that come later. */
export const PRUNED_PER_ATTEMPT = 20;

/** An attempt's slot: admitted, or refused — `firstRefused` for the first refusal of its window. */
export interface LoginSlot {
  admitted: boolean;
  firstRefused: boolean;
}

/**
 * Takes the next attempt slot of `address` in its window (see LoginThrottle) and says whether it is
 * within the limit, and whether it is the window's first refusal (the count stops at `limit + 2`,
 * so `limit + 1` is that attempt alone: \`login.throttled\` is recorded once per window, not once
 * per refused guess). One statement: the upsert locks the row, so concurrent attempts are numbered one
 * after the other and exactly `limit` of them are admitted per window. The window runs on the
 * database's clock, the same for every process.
 *
 * The same statement deletes up to PRUNED_PER_ATTEMPT rows of other addresses whose window has
 * ended (skipping any another attempt holds), so addresses tried once, known or not, do not pile
 * up: the table stays about as large as the addresses tried within one window.
 */
export async function takeLoginSlot(
  em: EntityManager,
  address: string,
  policy: LoginThrottlePolicy,
): Promise<LoginSlot> {
  const table = sqlTable(em, LoginThrottle);
  const ended = (alias: string) => `${alias}.window_started_at <= now() - make_interval(secs => ?)`;
  const [row] = await em.getConnection().execute<{ attempts: number }[]>(
    `with pruned as (
       delete from ${table} where address in (
         select o.address from ${table} o where ${ended('o')} and o.address <> ?
         order by o.window_started_at limit ${PRUNED_PER_ATTEMPT} for update skip locked))
     insert into ${table} as t (address, window_started_at, attempts) values (?, now(), 1)
     on conflict (address) do update set
       window_started_at = case when ${ended('t')} then now() else t.window_started_at end,
       attempts = case when ${ended('t')} then 1 else least(t.attempts + 1, ?) end
     returning attempts`,
    [policy.windowSeconds, address, address, policy.windowSeconds, policy.windowSeconds, policy.limit + 2],
    'all',
    em.getTransactionContext(),
  );
  return { admitted: row!.attempts <= policy.limit, firstRefused: row!.attempts === policy.limit + 1 };
}

/** A successful login closes the address's window. */
export async function clearLoginSlots(em: EntityManager, address: string): Promise<void> {
  await em.nativeDelete(LoginThrottle, { address });
}
