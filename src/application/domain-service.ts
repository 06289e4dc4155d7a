import { Domain, type DomainLimits, type TxtResolver } from '../domain/domain.js';
import { DomainName } from '../domain/domain-name.js';
import { readScope, type ReadScope, loadActor, loadOwnedDomain } from './loading.js';
import type { UnitOfWork } from './unit-of-work.js';
import { type DomainView, toDomainView } from './views.js';

/** Adding, verifying and administering mail domains, always on behalf of their owner. */
export class DomainService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly resolveTxt: TxtResolver,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  /** Registers a domain for the actor; it receives mail once verified (see `verificationRecord`). */
  async add(actorId: string, input: { name: string; limits?: Partial<DomainLimits> }): Promise<DomainView> {
    const name = DomainName.parse(input?.name);
    return this.run(async (em) => {
      const owner = await loadActor(em, actorId);
      const domain = new Domain({
        name,
        owner,
        ...(input?.limits ? { limits: input?.limits } : {}),
      });
      em.persist(domain);
      return toDomainView(domain);
    });
  }

  /**
   * Looks up the domain's TXT records and marks it verified when the expected record is there.
   * The DNS lookup happens outside the transaction, so a slow resolver holds no connection.
   */
  async verify(actorId: string, domainId: string): Promise<DomainView> {
    const { name } = await this.run(async (em) => loadOwnedDomain(em, await loadActor(em, actorId), domainId));
    const records = await this.resolveTxt(name).catch(() => [] as string[][]);
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId);
      domain.verify(records);
      return toDomainView(domain);
    });
  }

  async suspend(actorId: string, domainId: string): Promise<DomainView> {
    return this.change(actorId, domainId, (domain) => domain.suspend());
  }

  async activate(actorId: string, domainId: string): Promise<DomainView> {
    return this.change(actorId, domainId, (domain) => domain.activate());
  }

  async changeLimits(actorId: string, domainId: string, limits: Partial<DomainLimits>): Promise<DomainView> {
    return this.change(actorId, domainId, (domain) => domain.changeLimits(limits));
  }

  async get(actorId: string, domainId: string): Promise<DomainView> {
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId);
      await em.populate(domain, ['mailboxes']);
      return toDomainView(domain);
    }, this.reads(actorId));
  }

  async list(actorId: string): Promise<DomainView[]> {
    return this.run(async (em) => {
      const actor = await loadActor(em, actorId);
      const domains = await em.find(Domain, { owner: actor }, { orderBy: { name: 'asc' } });
      return domains.map(toDomainView);
    }, this.reads(actorId));
  }

  private async change(actorId: string, domainId: string, verb: (domain: Domain) => void): Promise<DomainView> {
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId);
      verb(domain);
      return toDomainView(domain);
    });
  }
}
