import type { AddressKind } from '../../domain/address.js';
import type { Domain } from '../../domain/domain.js';

/**
 * The seed factories' side of claiming an address (`claimAddress` in the application): the
 * addresses of one kind made per domain are counted here rather than in the database, as seeders
 * start from an empty one, and checked against the domain's limit by the same domain rule.
 */
export class ClaimedAddresses {
  readonly #held = new Map<Domain, number>();

  constructor(private readonly kind: AddressKind) {}

  /** Makes one more address of this kind on `domain`, if its limit leaves room. */
  claim<T>(domain: Domain, make: () => T): T {
    const held = this.#held.get(domain) ?? 0;
    domain.assertCanClaim(this.kind, held);
    const made = make();
    this.#held.set(domain, held + 1);
    return made;
  }
}
