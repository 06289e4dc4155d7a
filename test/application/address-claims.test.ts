/**
 * Claiming an address is one operation (`claimAddress` with `Domain.assertCanClaim`): mailboxes,
 * aliases and the seed factories go through it, so they refuse alike and a new rule for claiming
 * an address has one place to go.
 */
import { describe, expect, it } from 'vitest';
import { claimAddress } from '../../src/application/address-claims.js';
import { loadActor } from '../../src/application/loading.js';
import { Domain } from '../../src/domain/domain.js';
import { DomainName } from '../../src/domain/domain-name.js';
import { DomainError } from '../../src/domain/errors.js';
import { AliasFactory } from '../../src/seeders/factories/alias-factory.js';
import { MailboxFactory } from '../../src/seeders/factories/mailbox-factory.js';
import { seededFaker } from '../../src/seeders/factories/seeded-faker.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

async function refusalOf(action: () => unknown): Promise<{ code: string; message: string }> {
  const error = await (async () => action())().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  const { code, message } = error as DomainError;
  return { code, message };
}

describe('claimAddress', () => {
  it('returns the actor’s domain, its row locked until the unit of work ends', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const seen = await db.aether.unitOfWork(async (em) => {
      const claimed = await claimAddress(em, await loadActor(em, owner.id), {
        domain: DomainName.parse(domain.name),
        address: `new@${domain.name}`,
        shown: `new@${domain.name}`,
        kind: 'mailbox',
      });
      // another session cannot take the row while this unit of work holds it
      const other = await db.sql('select 1 from domain where id = $1 for update nowait', [domain.id]).then(
        () => 'got the row',
        (e: { code?: string }) => e.code,
      );
      return { id: claimed.id, other };
    });
    expect(seen).toEqual({ id: domain.id, other: '55P03' });
    // and it is free again once the unit of work is over
    expect(await db.sql('select 1 as locked from domain where id = $1 for update nowait', [domain.id])).toEqual([
      { locked: 1 },
    ]);
  });

  it('refuses a claim by the same rules for both kinds: a taken address, each kind’s own limit; nothing written', async () => {
    const { owner, domain } = await ownerWithDomain(db, { limits: { maxMailboxes: 1, maxAliases: 1 } });
    const claim = (kind: 'mailbox' | 'alias', local: string) =>
      db.aether.unitOfWork(async (em) =>
        claimAddress(em, await loadActor(em, owner.id), {
          domain: DomainName.parse(domain.name),
          address: `${local}@${domain.name}`,
          shown: `${local}@${domain.name}`,
          kind,
        }),
      );
    await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
    // one mailbox held: the alias limit is not touched by it
    await expect(claim('alias', 'free')).resolves.toMatchObject({ id: domain.id });
    for (const kind of ['mailbox', 'alias'] as const) {
      const taken = await expectRefused(db, 'ADDRESS_TAKEN', () => claim(kind, 'box'));
      expect(taken.message).toBe(`box@${domain.name} is already taken by a mailbox or alias`);
    }
    const full = await expectRefused(db, 'MAILBOX_LIMIT_REACHED', () => claim('mailbox', 'second'));
    expect(full.message).toBe(`${domain.name} allows at most 1 mailboxes`);
    await db.aether.aliases.add(owner.id, { source: `alias@${domain.name}`, destinations: [`box@${domain.name}`] });
    const fullAliases = await expectRefused(db, 'ALIAS_LIMIT_REACHED', () => claim('alias', 'second'));
    expect(fullAliases.message).toBe(`${domain.name} allows at most 1 aliases`);
  });

  it('the seed factories refuse past a domain’s limits exactly as the use cases do', async () => {
    const { owner, domain: view } = await ownerWithDomain(db, { limits: { maxMailboxes: 1, maxAliases: 1 } });
    await db.aether.mailboxes.create(owner.id, { address: `box@${view.name}` });
    await db.aether.aliases.add(owner.id, { source: `alias@${view.name}`, destinations: [`box@${view.name}`] });
    const byService = {
      mailbox: await refusalOf(() => db.aether.mailboxes.create(owner.id, { address: `more@${view.name}` })),
      alias: await refusalOf(() =>
        db.aether.aliases.add(owner.id, { source: `more@${view.name}`, destinations: [`box@${view.name}`] }),
      ),
    };
    // the factories count what they made (seeders start from an empty database): one each fits, the next does not
    const em = db.aether.orm.em.fork();
    const domain = await em.findOneOrFail(Domain, { id: view.id });
    const faker = seededFaker(1);
    const mailboxes = new MailboxFactory(em, faker);
    const aliases = new AliasFactory(em, faker);
    mailboxes.makeOne({ domain, localPart: 'first' });
    aliases.makeOne({ domain, localPart: 'first', destinations: [`box@${view.name}`] });
    expect({
      mailbox: await refusalOf(() => mailboxes.makeOne({ domain, localPart: 'second' })),
      alias: await refusalOf(() =>
        aliases.makeOne({ domain, localPart: 'second', destinations: [`box@${view.name}`] }),
      ),
    }).toEqual(byService);
    expect(byService).toMatchObject({
      mailbox: { code: 'MAILBOX_LIMIT_REACHED' },
      alias: { code: 'ALIAS_LIMIT_REACHED' },
    });
  });
});
