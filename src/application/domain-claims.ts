/**
 * Claims of a domain name by several users (see `Domain`): adding and verifying a name are
 * serialised across users by a transaction-scoped advisory lock on the name, taken first thing in
 * those units of work (after the alias graph lock, when releasing claims: see `locking.ts` for the
 * order). The partial unique index `domain_verified_name_unique` is the backstop.
 * Units of work run at READ COMMITTED, so each statement after the lock sees every claim and
 * verification committed before the lock was granted.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Alias } from '../domain/alias.js';
import { Domain } from '../domain/domain.js';
import { ConflictError } from '../domain/errors.js';
import { RecipientRouter } from './recipient-router.js';

/** The advisory lock key of a domain name (ASCII form): `pg_advisory_xact_lock(hashtextextended(key, 0))`. */
export const domainNameLockKey = (name: string): string => `aether.domain-name:${name}`;

/** Held until the transaction ends; transaction-scoped, so it is safe behind a transaction-mode pooler. */
export async function lockDomainName(em: EntityManager, name: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [domainNameLockKey(name)]);
}

/** Refuses with DOMAIN_TAKEN when someone (other than the claim `exceptId`) has verified `name`. */
export async function assertNameNotVerified(em: EntityManager, name: string, exceptId?: string): Promise<void> {
  const verified = await em.count(Domain, { name, verified: true, ...(exceptId ? { id: { $ne: exceptId } } : {}) });
  if (verified > 0) throw nameTaken(name);
}

const nameTaken = (name: string) =>
  new ConflictError('DOMAIN_TAKEN', `${Domain.displayNameOf(name)} is already verified by its owner`);

/**
 * Releases every claim of the name but `winner`'s: their rows are locked first, then deleted with
 * one statement; the database cascades to their mailboxes, aliases, folders and email. A bulk
 * delete bypasses flush events, as `mailboxes.delete` does. Returns the released claims.
 */
export async function releaseOtherClaims(em: EntityManager, winner: Domain): Promise<Domain[]> {
  const others = await em.find(
    Domain,
    { name: winner.name, id: { $ne: winner.id } },
    // in id order, so two lockers of the same claims queue rather than deadlock
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true, orderBy: { id: 'asc' } },
  );
  if (others.some((d) => d.verified)) throw nameTaken(winner.name);
  if (others.length > 0) await em.nativeDelete(Domain, { id: { $in: others.map((d) => d.id) } });
  return others;
}

/**
 * Released addresses of the name now fall to the winner's catch-all, if it has one: refuses
 * (ALIAS_LOOP) when that closes a forwarding loop. Every loop the release can close runs through
 * the catch-all, so checking it after the release covers them all. Needs the alias graph lock.
 */
export async function assertReleaseClosesNoLoop(em: EntityManager, winner: Domain): Promise<void> {
  const catchAll = await em.findOne(Alias, { address: Alias.catchAllOf(winner.name) });
  if (!catchAll) return;
  // refused with the catch-all's own ALIAS_LOOP: "@x would forward back to itself through p@x"
  const router = new RecipientRouter(em);
  await catchAll.assertNoLoop((address) => router.route(address));
}
