import type { Domain } from './domain.js';
import { newId } from './identity.js';

export const ADDRESS_KINDS = ['mailbox', 'alias'] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];

/**
 * An address claimed on a domain: a mailbox or an alias. Both live in one directory so that an
 * address is unique across them (and the database enforces it with a single unique index).
 */
export abstract class Address {
  readonly id: string = newId();
  /** Normalised `local@ascii-domain`, or `@ascii-domain` for a catch-all alias. */
  readonly address: string;
  readonly domain: Domain;
  /** The domain's owner, kept on the row so the tenant policy needs no subquery (issue #19). */
  readonly ownerId: string;
  /** The domain's name, kept on the row so a check and a key, not a trigger, hold it to its domain. */
  readonly domainName: string;
  abstract readonly kind: AddressKind;
  readonly createdAt: Date;

  constructor(address: string, domain: Domain, now: Date) {
    this.address = address;
    this.domain = domain;
    this.ownerId = domain.owner.id;
    this.domainName = domain.name;
    this.createdAt = now;
  }
}
