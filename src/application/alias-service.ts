import type { EntityManager } from '@mikro-orm/postgresql';
import { Alias } from '../domain/alias.js';
import { DomainName } from '../domain/domain-name.js';
import { EmailAddress } from '../domain/email-address.js';
import { NotFoundError } from '../domain/errors.js';
import { checkId, readScope, type ReadScope, loadActor, loadOwnedDomain } from './loading.js';
import { claimAddress } from './address-claims.js';
import { lockAliasGraph } from './locking.js';
import { assertRemovalClosesNoLoop, RecipientRouter } from './recipient-router.js';
import type { UnitOfWork } from './unit-of-work.js';
import { type AliasView, toAliasView } from './views.js';

/** Aliases and catch-alls, managed by the owner of their domain. */
export class AliasService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  /** `source` forwards to `destinations` (local mailboxes or external addresses). */
  async add(actorId: string, input: { source: string; destinations: string[] }): Promise<AliasView> {
    const source = EmailAddress.parse(input?.source);
    return this.create(actorId, source.domain, source, input?.destinations);
  }

  /** The catch-all of a domain receives mail for every address on it that nothing else takes. */
  async addCatchAll(actorId: string, input: { domain: string; destinations: string[] }): Promise<AliasView> {
    return this.create(actorId, DomainName.parse(input?.domain), undefined, input?.destinations);
  }

  async changeDestinations(actorId: string, aliasId: string, destinations: string[]): Promise<AliasView> {
    const parsed = parseDestinations(destinations);
    return this.run(async (em) => {
      await lockAliasGraph(em);
      const alias = await this.loadOwned(em, actorId, aliasId);
      alias.changeDestinations(parsed);
      const router = new RecipientRouter(em, { pending: alias });
      await alias.assertNoLoop((address) => router.route(address));
      return toAliasView(alias);
    });
  }

  /** Removes an alias, unless the catch-all taking its mail instead would close a loop. */
  async remove(actorId: string, aliasId: string): Promise<void> {
    await this.run(async (em) => {
      await lockAliasGraph(em);
      const alias = await this.loadOwned(em, actorId, aliasId);
      await assertRemovalClosesNoLoop(em, alias);
      em.remove(alias);
    });
  }

  async list(actorId: string, domainId: string): Promise<AliasView[]> {
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId);
      const aliases = await em.find(Alias, { domain }, { orderBy: { address: 'asc' } });
      return aliases.map(toAliasView);
    }, this.reads(actorId));
  }

  private async create(
    actorId: string,
    name: DomainName,
    source: EmailAddress | undefined,
    destinations: string[],
  ): Promise<AliasView> {
    const parsed = parseDestinations(destinations);
    const address = source?.value ?? Alias.catchAllOf(name.ascii);
    // bad destinations are refused before anything is looked up, as every malformed input is
    Alias.checkDestinations(address, parsed);
    return this.run(async (em) => {
      await lockAliasGraph(em);
      const domain = await claimAddress(em, await loadActor(em, actorId), {
        domain: name,
        address,
        shown: address,
        kind: 'alias',
      });
      const alias = new Alias({ ...(source ? { source } : {}), domain, destinations: parsed });
      const router = new RecipientRouter(em, { pending: alias });
      await alias.assertNoLoop((address) => router.route(address));
      em.persist(alias);
      return toAliasView(alias);
    });
  }

  private async loadOwned(em: EntityManager, actorId: string, aliasId: string): Promise<Alias> {
    const actor = await loadActor(em, actorId);
    const alias = await em.findOne(Alias, { id: checkId(aliasId, 'alias') }, { populate: ['domain'] });
    if (!alias) throw new NotFoundError('alias');
    alias.domain.assertOwnedBy(actor);
    return alias;
  }
}

function parseDestinations(destinations: string[]): EmailAddress[] {
  if (!Array.isArray(destinations)) return [];
  return Array.from(destinations, (d) => EmailAddress.parse(d));
}
