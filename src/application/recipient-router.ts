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

/** Addresses looked up per query: far below PostgreSQL's limit on the parameters of one statement. */
const LOOKUP_CHUNK = 5_000;

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/**
 * Finds where mail for an address goes: the exact mailbox or alias, else the domain's catch-all.
 * Addresses are looked up in batches (each with its catch-all), level by level through aliases,
 * so resolving any number of recipients takes a bounded number of queries: one per alias level
 * (at most MAX_ALIAS_DEPTH + 1) and per LOOKUP_CHUNK addresses. Answers are cached for the unit
 * of work. For loop checks, `pending` lets a not-yet-saved alias take part and `removed` makes an
 * address that is about to go behave as gone.
 */
export class RecipientRouter {
  private readonly cache = new Map<string, Address | null>();

  constructor(
    private readonly em: EntityManager,
    private readonly change: { pending?: Alias; removed?: Address } = {},
  ) {}

  /** The mailbox or alias that takes mail for `address`, or null when none on our domains does. */
  async entryFor(address: string): Promise<Address | null> {
    await this.load([address]);
    return this.cache.get(address) ?? null;
  }

  async route(address: string): Promise<AliasRoute> {
    const entry = await this.entryFor(address);
    return entry instanceof Alias
      ? { alias: entry.address, destinations: entry.destinations }
      : { alias: null, destinations: [] };
  }

  /**
   * Expands each recipient through aliases and catch-alls. A recipient maps to null when no
   * mailbox or alias on our domains takes it. Every domain on the way must be receiving mail, and
   * a recipient whose every path runs round a loop (foreign data: the services refuse loops) is
   * refused with ALIAS_LOOP rather than accepted with nowhere to go.
   */
  async resolveAll(recipients: string[]): Promise<Map<string, Resolution | null>> {
    await this.load(recipients);
    const walks = new Map<string, Walk>();
    const result = new Map<string, Resolution | null>();
    for (const recipient of recipients) {
      const entry = this.cache.get(recipient) ?? null;
      if (entry)
        walks.set(recipient, { frontier: [{ address: recipient, entry }], seen: new Set(), found: newResolution() });
      else result.set(recipient, null);
    }
    for (let depth = 0; [...walks.values()].some((w) => w.frontier.length > 0); depth++) {
      const next = new Map<Walk, string[]>();
      for (const [recipient, walk] of walks) {
        if (walk.frontier.length === 0) continue;
        if (depth > MAX_ALIAS_DEPTH) {
          throw new RuleViolationError(
            'ALIAS_LOOP',
            `${recipient} forwards through more than ${MAX_ALIAS_DEPTH} aliases`,
          );
        }
        next.set(walk, this.step(walk));
      }
      await this.load([...next.values()].flat());
      for (const [walk, addresses] of next) {
        walk.frontier = addresses.map((address) => ({ address, entry: this.cache.get(address) ?? null }));
      }
    }
    for (const [recipient, { found }] of walks) {
      if (found.mailboxes.size === 0 && found.external.size === 0) {
        throw new RuleViolationError(
          'ALIAS_LOOP',
          `mail for ${recipient} goes round a forwarding loop and reaches no one`,
        );
      }
      result.set(recipient, { mailboxes: [...found.mailboxes.values()], external: [...found.external] });
    }
    return result;
  }

  /** Takes one level of a walk: records what it reaches, returns the destinations to look up next. */
  private step(walk: Walk): string[] {
    const following: string[] = [];
    for (const { address, entry } of walk.frontier) {
      if (!entry) {
        walk.found.external.add(address);
        continue;
      }
      if (walk.seen.has(entry.id)) continue;
      walk.seen.add(entry.id);
      entry.domain.assertReceivesMail();
      if (entry instanceof Mailbox) walk.found.mailboxes.set(entry.id, entry);
      else if (entry instanceof Alias) following.push(...entry.destinations);
    }
    return following;
  }

  /** Looks up every address not cached yet, with its domain's catch-all, in as few queries as it takes. */
  private async load(addresses: string[]): Promise<void> {
    const wanted = [...new Set(addresses)].filter((a) => !this.cache.has(a));
    if (wanted.length === 0) return;
    const keys = [...new Set(wanted.flatMap((a) => [a, `@${domainOf(a)}`]))];
    const found = new Map<string, Address>();
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
      const rows = await this.em.find(
        Address,
        { address: { $in: keys.slice(i, i + LOOKUP_CHUNK) } },
        { populate: ['domain'] },
      );
      for (const row of rows) found.set(row.address, row);
    }
    const { pending, removed } = this.change;
    if (removed) found.delete(removed.address);
    if (pending) found.set(pending.address, pending);
    for (const address of wanted) {
      this.cache.set(address, found.get(address) ?? found.get(`@${domainOf(address)}`) ?? null);
    }
  }
}

interface Walk {
  frontier: { address: string; entry: Address | null }[];
  seen: Set<string>;
  found: { mailboxes: Map<string, Mailbox>; external: Set<string> };
}

const newResolution = (): Walk['found'] => ({ mailboxes: new Map(), external: new Set() });

/**
 * Removing an address hands its mail to its domain's catch-all, if there is one: every alias that
 * forwarded to the address now forwards to the catch-all. A loop that this closes runs through the
 * catch-all, so checking the catch-all's own forwarding (with the address gone) finds it. The
 * caller holds the alias-graph lock.
 */
export async function assertRemovalClosesNoLoop(em: EntityManager, removed: Address): Promise<void> {
  if (removed.address.startsWith('@')) return; // a catch-all's mail goes nowhere else
  const router = new RecipientRouter(em, { removed });
  const catchAll = await router.entryFor(`@${domainOf(removed.address)}`);
  if (!(catchAll instanceof Alias)) return;
  try {
    await catchAll.assertNoLoop((address) => router.route(address));
  } catch (error) {
    if (!(error instanceof RuleViolationError) || error.code !== 'ALIAS_LOOP') throw error;
    throw new RuleViolationError(
      'ALIAS_LOOP',
      `removing ${removed.address} would let the catch-all ${catchAll.address} take its mail and forward it round a loop (${error.message}); change the aliases that forward to ${removed.address} first`,
      { cause: error },
    );
  }
}
