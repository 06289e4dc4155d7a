/** Loading helpers shared by the use cases: each refuses what is missing or not the actor's. */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Domain } from '../domain/domain.js';
import type { DomainName } from '../domain/domain-name.js';
import { NotFoundError } from '../domain/errors.js';
import { Mailbox } from '../domain/mailbox.js';
import { User } from '../domain/user.js';
import { lockUsageRows } from './locking.js';
import type { UnitOfWorkOptions } from './unit-of-work.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that is not a UUID cannot name anything: that is "not found", not a database error. */
export function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new NotFoundError(what);
  return id.toLowerCase();
}

export async function loadUser(em: EntityManager, id: string, what = 'user', withHash = false): Promise<User> {
  const user = withHash
    ? await findUserWithHash(em, { id: checkId(id, what) })
    : await em.findOne(User, { id: checkId(id, what) });
  if (!user) throw new NotFoundError(what);
  return user;
}

/** The password hash is lazy (never loaded unless asked for); this asks for it. */
export function findUserWithHash(em: EntityManager, where: { id: string } | { email: string }): Promise<User | null> {
  return em.findOne(User, where, { populate: ['passwordHash'] });
}

/** The acting user, who must exist and be active. */
export async function loadActor(em: EntityManager, actorId: string): Promise<User> {
  const actor = await loadUser(em, actorId, 'acting user');
  actor.assertActive();
  return actor;
}

/** A domain the actor owns; `lock` serialises changes that count what the domain holds. */
export async function loadOwnedDomain(em: EntityManager, actor: User, domainId: string, lock = false): Promise<Domain> {
  const domain = await em.findOne(
    Domain,
    { id: checkId(domainId, 'domain') },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {},
  );
  if (!domain) throw new NotFoundError('domain');
  domain.assertOwnedBy(actor);
  return domain;
}

/**
 * The actor's own claim of the domain `name` (several users may claim one name until one verifies
 * it), locked when asked. Someone else's claim is NOT_OWNER, no claim at all NOT_FOUND.
 */
export async function loadOwnedDomainByName(
  em: EntityManager,
  actor: User,
  name: DomainName,
  lock = false,
): Promise<Domain> {
  const found =
    (await em.findOne(Domain, { name: name.ascii, owner: actor })) ?? (await em.findOne(Domain, { name: name.ascii }));
  if (!found) throw new NotFoundError(`domain ${name.unicode}`);
  return loadOwnedDomain(em, actor, found.id, lock);
}

/** A mailbox on a domain the actor owns; `lock` takes its row for the rest of the unit of work. */
export async function loadOwnedMailbox(
  em: EntityManager,
  actor: User,
  mailboxId: string,
  lock = false,
): Promise<Mailbox> {
  const id = checkId(mailboxId, 'mailbox');
  // the usage row before the address row (locking.ts, 5)
  if (lock) await lockUsageRows(em, [id]);
  const mailbox = await em.findOne(
    Mailbox,
    { id },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true } : {},
  );
  if (!mailbox) throw new NotFoundError('mailbox');
  await em.populate(mailbox, ['domain']);
  mailbox.domain.assertOwnedBy(actor);
  return mailbox;
}

/**
 * The options of a read-only use case: it may go to a read replica, and with row-level security
 * turned on it is confined to the acting user's rows.
 */
export type ReadScope = (actorId?: string) => UnitOfWorkOptions;

export const readScope =
  (confine: boolean): ReadScope =>
  (actorId) => ({ readOnly: true, ...(confine && actorId ? { actingUserId: checkId(actorId, 'acting user') } : {}) });
