import type { EntityManager } from '@mikro-orm/postgresql';
import { Alias } from '../domain/alias.js';
import { Domain, type DomainLimits, type HeldResources, type TxtResolver } from '../domain/domain.js';
import { DomainName } from '../domain/domain-name.js';
import { Mailbox } from '../domain/mailbox.js';
import {
  assertNameNotVerified,
  assertReleaseClosesNoLoop,
  lockDomainName,
  releaseOtherClaims,
} from './domain-claims.js';
import { readScope, type ReadScope, loadActor, loadOwnedDomain } from './loading.js';
import { recordDomainEvent, recordEvent } from './events/outbox.js';
import { OutboxEvent } from './events/outbox-event.js';
import { lockAliasGraph } from './locking.js';
import { sqlTable } from './sql-table.js';
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
      // first: serialised against every add and verify of this name, by anyone
      await lockDomainName(em, name.ascii);
      const owner = await loadActor(em, actorId);
      // a verified name is its owner's; an unverified claim blocks no one (the actor's own second
      // claim is refused by domain_name_owner_unique)
      await assertNameNotVerified(em, name.ascii);
      const domain = new Domain({
        name,
        owner,
        ...(input?.limits ? { limits: input?.limits } : {}),
      });
      em.persist(domain);
      recordDomainEvent(em, 'domain.added', domain);
      return toDomainView(domain);
    });
  }

  /**
   * Looks up the domain's TXT records and marks it verified when the expected record is there;
   * in the same unit of work every other (unverified) claim of the name is released, with all
   * that hangs on it. When someone else verified the name first, DOMAIN_TAKEN.
   * The DNS lookup happens outside the transaction, so a slow resolver holds no connection.
   */
  async verify(actorId: string, domainId: string): Promise<DomainView> {
    const { name } = await this.run(async (em) => loadOwnedDomain(em, await loadActor(em, actorId), domainId));
    const records = await this.resolveTxt(name).catch(() => [] as string[][]);
    return this.run(async (em) => {
      // first, in the lock order of locking.ts: the alias graph (releasing claims removes
      // addresses), then the name, serialising every add and verify of it by anyone
      await lockAliasGraph(em);
      await lockDomainName(em, name);
      const actor = await loadActor(em, actorId);
      // before loading the claim: a winner's verification may have just released it
      await assertNameNotVerified(em, name, domainId);
      const domain = await loadOwnedDomain(em, actor, domainId, true);
      domain.verify(records);
      const released = await releaseOtherClaims(em, domain);
      if (released.length > 0) await assertReleaseClosesNoLoop(em, domain);
      recordDomainEvent(em, 'domain.verified', domain);
      // the losing claims went with their mailboxes, by cascade: one event each says so
      for (const claim of released) recordDomainEvent(em, 'domain.released', claim);
      return toDomainView(domain);
    });
  }

  async suspend(actorId: string, domainId: string): Promise<DomainView> {
    return this.change(actorId, domainId, 'domain.suspended', (domain) => domain.suspend());
  }

  async activate(actorId: string, domainId: string): Promise<DomainView> {
    return this.change(actorId, domainId, 'domain.activated', (domain) => domain.activate());
  }

  /**
   * Changes the domain's limits, refusing any below what it holds. The domain row is locked while
   * its mailboxes and aliases are counted (the lock their creation takes), so a concurrent
   * creation and a lower limit cannot together end above the limit.
   */
  async changeLimits(actorId: string, domainId: string, limits: Partial<DomainLimits>): Promise<DomainView> {
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId, true);
      domain.changeLimits(limits, await heldBy(em, domain));
      recordDomainEvent(em, 'domain.limits_changed', domain, {
        maxMailboxes: domain.maxMailboxes,
        maxAliases: domain.maxAliases,
        defaultQuotaBytes: domain.defaultQuotaBytes,
        maxQuotaBytes: domain.maxQuotaBytes,
      });
      return toDomainView(domain);
    });
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

  /**
   * Deletes the domain with its mailboxes, aliases, folders and email (the database cascades, as
   * for `users.delete`). Its addresses leave the alias graph, so it is locked first, as every
   * change of addresses does; mail for the name is no longer taken by anyone.
   */
  async delete(actorId: string, domainId: string): Promise<void> {
    await this.run(async (em) => {
      await lockAliasGraph(em);
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId, true);
      // the cascade bypasses the unit of work's flush: its mailboxes' events are written explicitly
      // (from their rows: loading them as entities would make the ORM delete them itself)
      const mailboxes = await em
        .getConnection()
        .execute<{ id: string; address: string }[]>(
          `select id, address from ${sqlTable(em, Mailbox)} where domain_id = ? and kind = 'mailbox' order by id`,
          [domain.id],
          'all',
          em.getTransactionContext(),
        );
      for (const { id, address } of mailboxes) {
        recordEvent(
          em,
          new OutboxEvent({
            kind: 'mailbox.deleted',
            tenantId: domain.owner.id,
            domainId: domain.id,
            mailboxId: id,
            modseq: null,
            data: { address },
          }),
        );
      }
      recordDomainEvent(em, 'domain.deleted', domain);
      em.remove(domain);
    });
  }

  private async change(
    actorId: string,
    domainId: string,
    kind: 'domain.suspended' | 'domain.activated',
    verb: (domain: Domain) => void,
  ): Promise<DomainView> {
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId);
      verb(domain);
      recordDomainEvent(em, kind, domain);
      return toDomainView(domain);
    });
  }
}

/** What the domain holds that its limits bound: mailboxes, aliases and the largest mailbox quota. */
async function heldBy(em: EntityManager, domain: Domain): Promise<HeldResources> {
  const mailboxes = await em.count(Mailbox, { domain });
  const aliases = await em.count(Alias, { domain });
  if (mailboxes === 0) return { mailboxes, aliases, largestQuotaBytes: null };
  const unlimited = await em.count(Mailbox, { domain, usage: { quotaBytes: 0 } });
  const [largest] = await em.find(Mailbox, { domain }, { orderBy: { usage: { quotaBytes: 'desc' } }, limit: 1 });
  return { mailboxes, aliases, largestQuotaBytes: unlimited > 0 ? 0 : largest!.quotaBytes };
}
