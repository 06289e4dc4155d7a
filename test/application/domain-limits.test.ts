/**
 * Limits below what is held (issue 12, item 10): `domains.changeLimits` refuses a limit below
 * what the domain already holds (LIMIT_BELOW_USAGE), counting under the domain row lock that
 * mailbox and alias creation take, so a creation and a lower limit cannot end above the limit.
 */
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

const GiB = 1024 ** 3;

const limitsOf = async (domainId: string) =>
  (
    await db.sql<{ max_mailboxes: number; max_aliases: number; max_quota_bytes: string }>(
      'select max_mailboxes, max_aliases, max_quota_bytes from domain where id = $1',
      [domainId],
    )
  )[0]!;

const mailboxCount = async (domainId: string) =>
  (
    await db.sql<{ n: number }>(`select count(*)::int as n from address where kind = 'mailbox' and domain_id = $1`, [
      domainId,
    ])
  )[0]!.n;

async function domainWithMailboxes(count: number, quotaBytes?: number) {
  const world = await ownerWithDomain(db);
  for (let i = 0; i < count; i++) {
    await db.aether.mailboxes.create(world.owner.id, {
      address: `box${i}@${world.domain.name}`,
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
    });
  }
  return world;
}

describe('lowering a domain’s limits below what it holds', () => {
  it('maxMailboxes below the mailboxes it has is refused; equal to them, or unlimited, is accepted', async () => {
    const { owner, domain } = await domainWithMailboxes(4);
    for (const maxMailboxes of [1, 3]) {
      const error = await expectRefused(db, 'LIMIT_BELOW_USAGE', () =>
        db.aether.domains.changeLimits(owner.id, domain.id, { maxMailboxes }),
      );
      expect(error.message).toContain('4 mailboxes');
    }
    expect(await limitsOf(domain.id)).toMatchObject({ max_mailboxes: 0 });
    await db.aether.domains.changeLimits(owner.id, domain.id, { maxMailboxes: 4 });
    expect(await limitsOf(domain.id)).toMatchObject({ max_mailboxes: 4 });
    await db.aether.domains.changeLimits(owner.id, domain.id, { maxMailboxes: 0 });
    expect(await limitsOf(domain.id)).toMatchObject({ max_mailboxes: 0 });
  });

  it('maxAliases below the aliases it has (a catch-all counts) is refused; equal is accepted', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: ['x@outside.test'] });
    await db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: ['x@outside.test'] });
    await expectRefused(db, 'LIMIT_BELOW_USAGE', () =>
      db.aether.domains.changeLimits(owner.id, domain.id, { maxAliases: 1 }),
    );
    await db.aether.domains.changeLimits(owner.id, domain.id, { maxAliases: 2 });
    expect(await limitsOf(domain.id)).toMatchObject({ max_aliases: 2 });
  });

  it('maxQuotaBytes below a mailbox’s quota is refused; equal to the largest is accepted', async () => {
    const { owner, domain } = await domainWithMailboxes(2, GiB);
    await expectRefused(db, 'LIMIT_BELOW_USAGE', () =>
      db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: 1000, defaultQuotaBytes: 1000 }),
    );
    await expectRefused(db, 'LIMIT_BELOW_USAGE', () =>
      db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: GiB - 1, defaultQuotaBytes: 1000 }),
    );
    await db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: GiB });
    expect(await limitsOf(domain.id)).toMatchObject({ max_quota_bytes: String(GiB) });
  });

  it('any maxQuotaBytes over a mailbox with an unlimited quota (0) is refused', async () => {
    const { owner, domain } = await domainWithMailboxes(1, 0);
    await expectRefused(db, 'LIMIT_BELOW_USAGE', () =>
      db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: 1024 * GiB, defaultQuotaBytes: 1000 }),
    );
    await db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: 0, maxMailboxes: 1 });
    expect(await limitsOf(domain.id)).toMatchObject({ max_quota_bytes: '0', max_mailboxes: 1 });
  });
});

describe('a mailbox created while the limit is lowered', () => {
  it('held at the domain row: whichever goes first, the domain never ends with more mailboxes than its limit', async () => {
    for (const createFirst of [true, false]) {
      const { owner, domain } = await domainWithMailboxes(2);
      const held = await hold(db, [['select 1 from domain where id = $1 for update', [domain.id]]]);
      const create = () => db.aether.mailboxes.create(owner.id, { address: `late@${domain.name}` });
      const lower = () => db.aether.domains.changeLimits(owner.id, domain.id, { maxMailboxes: 2 });
      const first = createFirst ? create() : lower();
      await waitForLockWaiters(db, 1);
      const second = createFirst ? lower() : create();
      await waitForLockWaiters(db, 2);
      // settled is attached before the release: a promise that rejects while the release's
      // connection closes already has its handler (else an unhandled rejection under load)
      const settled = Promise.allSettled(createFirst ? [first, second] : [second, first]);
      await held.rollback();
      const [created, lowered] = await settled;
      if (createFirst) {
        expect(created.status).toBe('fulfilled');
        expect(lowered).toMatchObject({ status: 'rejected', reason: { code: 'LIMIT_BELOW_USAGE' } });
        expect(await limitsOf(domain.id)).toMatchObject({ max_mailboxes: 0 });
        expect(await mailboxCount(domain.id)).toBe(3);
      } else {
        expect(lowered.status).toBe('fulfilled');
        expect(created).toMatchObject({ status: 'rejected', reason: { code: 'MAILBOX_LIMIT_REACHED' } });
        expect(await limitsOf(domain.id)).toMatchObject({ max_mailboxes: 2 });
        expect(await mailboxCount(domain.id)).toBe(2);
      }
    }
  });

  it('as an unsynchronised burst of creations and lowerings: never more mailboxes than the limit', async () => {
    for (let round = 0; round < 3; round++) {
      const { owner, domain } = await domainWithMailboxes(1);
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          i % 3 === 1
            ? db.aether.domains.changeLimits(owner.id, domain.id, { maxMailboxes: 2 + (i % 2) })
            : db.aether.mailboxes.create(owner.id, { address: `burst${i}@${domain.name}` }),
        ),
      );
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(
            ['LIMIT_BELOW_USAGE', 'MAILBOX_LIMIT_REACHED', 'CONCURRENT_UPDATE'].some((code) =>
              isDomainError(r.reason, code as never),
            ),
            String(r.reason),
          ).toBe(true);
        }
      }
      const { max_mailboxes } = await limitsOf(domain.id);
      const held = await mailboxCount(domain.id);
      if (max_mailboxes > 0) expect(held).toBeLessThanOrEqual(max_mailboxes);
      expect(held).toBe(1 + results.filter((r, i) => i % 3 !== 1 && r.status === 'fulfilled').length);
    }
  });
});

describe('a mailbox quota raised while the domain’s maximum quota is lowered', () => {
  const quotaOf = async (mailboxId: string) =>
    (
      await db.sql<{ q: string }>('select quota_bytes::text as q from mailbox_usage where mailbox_id = $1', [mailboxId])
    )[0]!.q;

  async function world() {
    const { owner, domain } = await ownerWithDomain(db, { limits: { maxQuotaBytes: 4 * GiB, defaultQuotaBytes: GiB } });
    const box = await db.aether.mailboxes.create(owner.id, { address: `q@${domain.name}` });
    return { owner, domain, box };
  }

  it('held at the domain row: both wait for it, and the quota never ends above the maximum', async () => {
    const { owner, domain, box } = await world();
    const held = await hold(db, [['select 1 from domain where id = $1 for update', [domain.id]]]);
    const raising = outcome(db.aether.mailboxes.changeQuota(owner.id, box.id, 3 * GiB));
    const lowering = outcome(db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: 2 * GiB }));
    // the quota change waits for the domain row too, so it is checked against the maximum that holds
    await waitForLockWaiters(db, 2);
    await held.rollback();
    const [raised, lowered] = await Promise.all([raising, lowering]);
    const quota = Number(await quotaOf(box.id));
    const { max_quota_bytes } = await limitsOf(domain.id);
    expect(quota).toBeLessThanOrEqual(Number(max_quota_bytes));
    expect([raised.ok, lowered.ok].sort()).toEqual([false, true]);
  });

  it('as an unsynchronised burst of raises and lowerings: never a quota above the maximum', async () => {
    for (let round = 0; round < 5; round++) {
      const { owner, domain, box } = await world();
      const results = await Promise.allSettled([
        db.aether.mailboxes.changeQuota(owner.id, box.id, 3 * GiB),
        db.aether.domains.changeLimits(owner.id, domain.id, { maxQuotaBytes: 2 * GiB }),
      ]);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(
            ['LIMIT_BELOW_USAGE', 'INVALID_QUOTA'].some((code) => isDomainError(r.reason, code as never)),
            String(r.reason),
          ).toBe(true);
        }
      }
      const { max_quota_bytes } = await limitsOf(domain.id);
      expect(Number(await quotaOf(box.id))).toBeLessThanOrEqual(Number(max_quota_bytes));
    }
  });
});
