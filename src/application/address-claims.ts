/**
 * Claiming an address on a domain, for a mailbox or an alias: one operation, so a rule for new
 * addresses (a limit, a reserved name) changes in one place. Takes the domain row lock (4 in
 * `locking.ts`): a caller that needs the alias graph lock takes it before calling.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Address, type AddressKind } from '../domain/address.js';
import { Alias } from '../domain/alias.js';
import type { Domain } from '../domain/domain.js';
import type { DomainName } from '../domain/domain-name.js';
import { ConflictError } from '../domain/errors.js';
import { Mailbox } from '../domain/mailbox.js';
import type { User } from '../domain/user.js';
import { loadOwnedDomainByName } from './loading.js';

/** An address someone asks for: on which domain, its stored form, the form a refusal shows, its kind. */
export interface AddressClaim {
  domain: DomainName;
  /** Normalised `local@ascii-domain`, or `@ascii-domain` for a catch-all. */
  address: string;
  shown: string;
  kind: AddressKind;
}

/**
 * The actor's claim of the domain, locked while the address is checked free and the domain's
 * addresses of that kind are counted, so concurrent claims can neither take one address twice
 * nor overrun the domain's limit. Returns the locked domain for the new address to go on.
 */
export async function claimAddress(em: EntityManager, actor: User, claim: AddressClaim): Promise<Domain> {
  const domain = await loadOwnedDomainByName(em, actor, claim.domain, true);
  if ((await em.count(Address, { address: claim.address })) > 0) {
    throw new ConflictError('ADDRESS_TAKEN', `${claim.shown} is already taken by a mailbox or alias`);
  }
  domain.assertCanClaim(
    claim.kind,
    await (claim.kind === 'mailbox' ? em.count(Mailbox, { domain }) : em.count(Alias, { domain })),
  );
  return domain;
}
