import type { EntityManager } from '@mikro-orm/postgresql';
import { Address } from '../domain/address.js';
import { Alias, type AliasRoute, MAX_ALIAS_DEPTH } from '../domain/alias.js';
import { RuleViolationError } from '../domain/errors.js';
import { Mailbox } from '../domain/mailbox.js';

export interface Resolution {
  /** Local mailboxes that receive a copy, each once. */
  mailboxes: Mailbox[];
  /** External addresses that aliases forward to (handed to the outbound relay, not stored). */
  external: string[];
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/**
 * Finds where mail for an address goes: the exact mailbox or alias, else the domain's catch-all.
 * One query per address looked up (exact and catch-all together); answers are cached for the
 * unit of work. `pending` lets a not-yet-saved alias take part (for loop checks).
 */
export class RecipientRouter {
  private readonly cache = new Map<string, Address | null>();

  constructor(
    private readonly em: EntityManager,
    private readonly pending?: Alias,
  ) {}

  /** The mailbox or alias that takes mail for `address`, or null when none on our domains does. */
  async entryFor(address: string): Promise<Address | null> {
    if (this.cache.has(address)) return this.cache.get(address)!;
    const catchAll = `@${domainOf(address)}`;
    const candidates = [this.pending, ...(await this.lookup([address, catchAll]))].filter((e) => e !== undefined);
    const entry =
      candidates.find((e) => e.address === address) ?? candidates.find((e) => e.address === catchAll) ?? null;
    this.cache.set(address, entry);
    return entry;
  }

  private lookup(addresses: string[]): Promise<Address[]> {
    return this.em.find(Address, { address: { $in: addresses } }, { populate: ['domain'] });
  }

  async route(address: string): Promise<AliasRoute> {
    const entry = await this.entryFor(address);
    return entry instanceof Alias
      ? { alias: entry.address, destinations: entry.destinations }
      : { alias: null, destinations: [] };
  }

  /**
   * Expands a recipient through aliases and catch-alls. Returns null when no mailbox or alias on
   * our domains takes the address. Every domain on the way must be receiving mail.
   */
  async resolve(recipient: string): Promise<Resolution | null> {
    const first = await this.entryFor(recipient);
    if (!first) return null;
    const mailboxes = new Map<string, Mailbox>();
    const external = new Set<string>();
    const seen = new Set<string>();
    let frontier: { address: string; entry: Address | null }[] = [{ address: recipient, entry: first }];
    for (let depth = 0; frontier.length > 0; depth++) {
      if (depth > MAX_ALIAS_DEPTH) {
        throw new RuleViolationError(
          'ALIAS_LOOP',
          `${recipient} forwards through more than ${MAX_ALIAS_DEPTH} aliases`,
        );
      }
      const next: typeof frontier = [];
      for (const { address, entry } of frontier) {
        if (!entry) {
          external.add(address);
          continue;
        }
        if (seen.has(entry.id)) continue;
        seen.add(entry.id);
        entry.domain.assertReceivesMail();
        if (entry instanceof Mailbox) {
          mailboxes.set(entry.id, entry);
        } else if (entry instanceof Alias) {
          for (const destination of entry.destinations)
            next.push({
              address: destination,
              entry: await this.entryFor(destination),
            });
        }
      }
      frontier = next;
    }
    return { mailboxes: [...mailboxes.values()], external: [...external] };
  }
}
