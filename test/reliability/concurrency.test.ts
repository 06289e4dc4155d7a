/**
 * Concurrent writers, each its own unit of work on its own connection: nothing lost, no rule broken.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { mailboxLedger } from '../support/ledger.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 60 });

const settle = (work: Promise<unknown>[]) => Promise.allSettled(work);
const codes = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as DomainError).code);

async function mailbox(quotaBytes?: number) {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, {
    address: `hot@${domain.name}`,
    ...(quotaBytes ? { quotaBytes } : {}),
  });
  return { owner, domain, box };
}

const ledger = (mailboxId: string) => mailboxLedger(db, mailboxId);

describe('concurrent deliveries to one mailbox', () => {
  it('50 at once: used bytes equal exactly the sum of what is stored', async () => {
    const { box } = await mailbox();
    const results = await settle(
      Array.from({ length: 50 }, (_, i) =>
        db.aether.mail.deliverInbound({
          recipients: [box.address],
          message: message({ subject: `n${i}`, body: 'x'.repeat(i) }),
        }),
      ),
    );
    expect(codes(results)).toEqual([]);
    const { used, stored, emails } = await ledger(box.id);
    expect(emails).toBe(50);
    expect(used).toBe(stored);
  });

  it('50 at once into a quota that fits some: never exceeded, each refusal a quota error that stored nothing', async () => {
    const probe = await mailbox();
    const { delivered } = await db.aether.mail.deliverInbound({
      recipients: [probe.box.address],
      message: message({ body: 'y'.repeat(100) }),
    });
    const size = (
      await db.sql<{ s: number }>('select size_bytes as s from email where mailbox_id = $1 and id = $2', [
        probe.box.id,
        delivered[0]!.emailId,
      ])
    )[0]!.s;

    const { box } = await mailbox(size * 17 + Math.floor(size / 2));
    const results = await settle(
      Array.from({ length: 50 }, () =>
        db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ body: 'y'.repeat(100) }) }),
      ),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    expect(accepted).toBe(17);
    expect(codes(results)).toEqual(Array(33).fill('QUOTA_EXCEEDED'));
    const { used, stored, emails, quota } = await ledger(box.id);
    expect(emails).toBe(17);
    expect(used).toBe(stored);
    expect(used).toBeLessThanOrEqual(quota);
  });
});

describe('concurrent claims of one address', () => {
  it('20 at once as mailbox or alias: exactly one wins, the rest get ADDRESS_TAKEN', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const address = `wanted@${domain.name}`;
    const results = await settle(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? db.aether.mailboxes.create(owner.id, { address })
          : db.aether.aliases.add(owner.id, { source: address, destinations: ['x@outside.test'] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(codes(results)).toEqual(Array(19).fill('ADDRESS_TAKEN'));
    expect(await db.sql('select count(*)::int as n from address where address = $1', [address])).toEqual([{ n: 1 }]);
  });
});

describe('two units of work editing the same entity', () => {
  it('the later one gets CONCURRENT_UPDATE, never a silent overwrite', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const results = await settle(
      Array.from({ length: 2 }, (_, i) =>
        db.aether.unitOfWork(async (em) => {
          const { Domain } = await import('../../src/domain/domain.js');
          const loaded = await em.findOneOrFail(Domain, { id: domain.id });
          // both have read version 1 before either writes
          await new Promise((r) => setTimeout(r, 100));
          loaded.changeLimits({ maxMailboxes: 10 + i }, { mailboxes: 0, aliases: 0, largestQuotaBytes: null });
        }),
      ),
    );
    expect(codes(results)).toEqual(['CONCURRENT_UPDATE']);
    const [row] = await db.sql<{ max_mailboxes: number; version: number }>(
      'select max_mailboxes, version from domain where id = $1',
      [domain.id],
    );
    expect(row!.version).toBe(3); // created (1), verified (2), one limits change (3)
    expect([10, 11]).toContain(row!.max_mailboxes);
    void owner;
  });
});

describe('concurrent moves and purges of the same email', () => {
  it('never make used bytes drift', async () => {
    const { owner, box } = await mailbox();
    const { emailIds } = await db.aether.mail.deliverMany(
      box.address,
      Array.from({ length: 10 }, (_, i) => message({ body: 'z'.repeat(10 * i) })),
    );
    const folders = (await db.aether.mailboxes.get(owner.id, box.id)).folders!;
    const archive = folders.find((f) => f.role === 'archive')!;
    const work = emailIds.flatMap((id) => [
      db.aether.mail.purge(owner.id, box.id, id),
      db.aether.mail.purge(owner.id, box.id, id),
      db.aether.mail.move(owner.id, box.id, id, archive.id),
      db.aether.mail.trash(owner.id, box.id, id),
    ]);
    const results = await settle(work);
    for (const code of codes(results)) expect(['NOT_FOUND', 'CONCURRENT_UPDATE']).toContain(code);
    const { used, stored, emails } = await ledger(box.id);
    expect(emails).toBe(0);
    expect(used).toBe(stored);
    expect(used).toBe(0);
  });
});
