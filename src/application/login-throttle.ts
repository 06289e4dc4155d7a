import type { EntityManager } from '@mikro-orm/postgresql';
import { LoginThrottle, type LoginThrottlePolicy } from '../domain/login-throttle.js';

/**
 * Takes the next attempt slot of `address` in its window (see LoginThrottle) and says whether it is
 * within the limit. One statement: the upsert locks the row, so concurrent attempts are numbered one
 * after the other and exactly `limit` of them are admitted per window. The window runs on the
 * database's clock, the same for every process.
 */
export async function takeLoginSlot(em: EntityManager, address: string, policy: LoginThrottlePolicy): Promise<boolean> {
  const table = qualifiedTable(em);
  const expired = `t.window_started_at <= now() - make_interval(secs => ?)`;
  const [row] = await em.getConnection().execute<{ attempts: number }[]>(
    `insert into ${table} as t (address, window_started_at, attempts) values (?, now(), 1)
     on conflict (address) do update set
       window_started_at = case when ${expired} then now() else t.window_started_at end,
       attempts = case when ${expired} then 1 else least(t.attempts + 1, ?) end
     returning attempts`,
    [address, policy.windowSeconds, policy.windowSeconds, policy.limit + 1],
    'all',
    em.getTransactionContext(),
  );
  return row!.attempts <= policy.limit;
}

/** A successful login closes the address's window. */
export async function clearLoginSlots(em: EntityManager, address: string): Promise<void> {
  await em.nativeDelete(LoginThrottle, { address });
}

function qualifiedTable(em: EntityManager): string {
  const meta = em.getMetadata().get(LoginThrottle);
  const schema = meta.schema ?? em.config.get('schema');
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return schema && schema !== '*' ? `${quote(schema)}.${quote(meta.tableName)}` : quote(meta.tableName);
}
