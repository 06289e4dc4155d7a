import { Address } from './address.js';
import type { Domain } from './domain.js';
import type { EmailAddress } from './email-address.js';
import { RuleViolationError, ValidationError } from './errors.js';
import { update } from './identity.js';

export const MAX_ALIAS_DESTINATIONS = 100;
/** How many alias hops delivery follows before it gives up (a loop guard for foreign data). */
export const MAX_ALIAS_DEPTH = 10;

/**
 * An alias forwards mail for its address to one or more destinations: local mailboxes or
 * external addresses. A catch-all (`@example.org`) receives what no other address on the domain takes.
 */
export class Alias extends Address {
  readonly kind = 'alias' as const;
  readonly destinations: string[];
  readonly version: number = 1;

  /** `source` undefined makes the domain's catch-all. */
  constructor(props: { source?: EmailAddress; domain: Domain; destinations: EmailAddress[]; now?: Date }) {
    const { source, domain } = props;
    if (source && !source.belongsTo(domain.domainName)) {
      throw new ValidationError(
        'ADDRESS_OUTSIDE_DOMAIN',
        `${source.unicode} is not an address on ${domain.displayName}`,
      );
    }
    super(source ? source.value : Alias.catchAllOf(domain.name), domain, props.now ?? new Date());
    this.destinations = Alias.checkDestinations(this.address, props.destinations);
  }

  /** The address of the catch-all of the domain `name` (ASCII form). */
  static catchAllOf(name: string): string {
    return `@${name}`;
  }

  get isCatchAll(): boolean {
    return this.address.startsWith('@');
  }

  changeDestinations(destinations: EmailAddress[]): void {
    update(this, { destinations: Alias.checkDestinations(this.address, destinations) });
  }

  /** The destinations of an alias for `source`, checked: 1–100 of them, none the source itself. */
  static checkDestinations(source: string, destinations: EmailAddress[]): string[] {
    const unique = [...new Set(destinations.map((d) => d.value))];
    if (unique.length === 0 || unique.length > MAX_ALIAS_DESTINATIONS) {
      throw new ValidationError('INVALID_EMAIL_ADDRESS', `an alias has 1–${MAX_ALIAS_DESTINATIONS} destinations`);
    }
    if (unique.includes(source)) throw new RuleViolationError('ALIAS_LOOP', `${source} cannot forward to itself`);
    return unique;
  }

  /**
   * Refuses destinations that lead back to this alias, directly or through other aliases and
   * catch-alls. `route` tells which alias (if any) handles an address and where it forwards.
   */
  async assertNoLoop(route: (address: string) => Promise<AliasRoute>): Promise<void> {
    const seen = new Set<string>([this.address]);
    let frontier = this.destinations;
    for (let depth = 0; frontier.length > 0; depth++) {
      if (depth >= MAX_ALIAS_DEPTH) {
        throw new RuleViolationError(
          'ALIAS_LOOP',
          `${this.address} forwards through more than ${MAX_ALIAS_DEPTH} aliases`,
        );
      }
      const following: string[] = [];
      for (const address of frontier) {
        const { alias, destinations } = await route(address);
        if (alias === this.address) {
          throw new RuleViolationError('ALIAS_LOOP', `${this.address} would forward back to itself through ${address}`);
        }
        if (alias === null || seen.has(alias)) continue;
        seen.add(alias);
        following.push(...destinations);
      }
      frontier = following;
    }
  }
}

/** Where mail for an address goes: the alias that takes it (or null), and that alias's destinations. */
export interface AliasRoute {
  alias: string | null;
  destinations: string[];
}
