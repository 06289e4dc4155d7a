/**
 * A mailbox's quota and bytes used live in `mailbox_usage`, out of the directory (issue #19,
 * docs/scaling.md item 2): created with the mailbox, removed with it, locked and written by every
 * delivery — which takes no lock on the mailbox's `address` row any more. The quota still holds
 * under concurrent deliveries, and no delivery's bytes are lost. Every test reads the rows.
 */
import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../src/domain/errors.js';
import { digestRows } from '../support/digest.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { mailboxLedger } from '../support/ledger.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

/** Messages of one size: the subject differs only in a digit. */
const sized = (to: string, i: number) => message({ to: [to], subject: `usage ${i % 10}`, body: 'x'.repeat(200) });

const usageOf = async (mailboxId: string) =>
  db.sql<{ quota: number; used: number; owner: boolean }>(
    `select u.quota_bytes::int as quota, u.used_bytes::int as used, u.owner_id = a.owner_id as owner
       from mailbox_usage u join address a on a.id = u.mailbox_id where u.mailbox_id = $1`,
    [mailboxId],
  );

/** A mailbox whose quota fits `room` more of the messages above (it holds one already). */
async function boxWithRoomFor(room: number) {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `u${room}@${domain.name}` });
  await db.aether.mail.deliverInbound({ recipients: [box.address], message: sized(box.address, 0) });
  const size = (await usageOf(box.id))[0]!.used;
  // room for `room` more and half of one: equal-sized messages, so exactly `room` fit
  await db.aether.mailboxes.changeQuota(owner.id, box.id, size * (room + 1) + Math.floor(size / 2));
  return { owner, domain, box, size };
}

describe('mailbox_usage', () => {
  it('is created with the mailbox, follows its quota, and goes with it', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `made@${domain.name}`, quotaBytes: 4096 });
    expect(await usageOf(box.id)).toEqual([{ quota: 4096, used: 0, owner: true }]);
    expect(box).toMatchObject({ quotaBytes: 4096, usedBytes: 0 });
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: sized(box.address, 1) });
    const ledger = await mailboxLedger(db, box.id);
    expect(ledger.used).toBe(ledger.stored);
    expect(ledger.used).toBeGreaterThan(0);
    const changed = await db.aether.mailboxes.changeQuota(owner.id, box.id, 8192);
    expect(changed).toMatchObject({ quotaBytes: 8192, usedBytes: ledger.used });
    expect(await usageOf(box.id)).toEqual([{ quota: 8192, used: ledger.used, owner: true }]);
    // the directory no longer holds the counters
    expect(
      await db.sql(
        `select column_name from information_schema.columns
          where table_name = 'address' and column_name in ('quota_bytes', 'used_bytes')`,
      ),
    ).toEqual([]);
    await db.aether.mailboxes.delete(owner.id, box.id);
    expect(await usageOf(box.id)).toEqual([]);
  });

  it('a delivery locks the usage row, not the address row: it waits for the first, never for the second', async () => {
    const { box } = await boxWithRoomFor(3);
    // the directory row held against updates: a delivery goes through (its email's keys take KEY SHARE)
    const directory = await hold(db, [['select 1 from address where id = $1 for no key update', [box.id]]]);
    try {
      await db.aether.mail.deliverInbound({ recipients: [box.address], message: sized(box.address, 1) });
    } finally {
      await directory.rollback();
    }
    // the usage row held: a delivery waits for it
    const usage = await hold(db, [['select 1 from mailbox_usage where mailbox_id = $1 for update', [box.id]]]);
    const waiting = outcome(
      db.aether.mail.deliverInbound({ recipients: [box.address], message: sized(box.address, 2) }),
    );
    await waitForLockWaiters(db, 1);
    await usage.commit();
    expect((await waiting).ok).toBe(true);
    const ledger = await mailboxLedger(db, box.id);
    expect(ledger).toMatchObject({ emails: 3, used: ledger.stored });
  });

  it('deterministic race: five deliveries wait on the usage row, exactly the two that fit are stored', async () => {
    const { box, size } = await boxWithRoomFor(2);
    const before = await mailboxLedger(db, box.id);
    const held = await hold(db, [['select 1 from mailbox_usage where mailbox_id = $1 for update', [box.id]]]);
    const deliveries = [1, 2, 3, 4, 5].map((i) =>
      outcome(db.aether.mail.deliverInbound({ recipients: [box.address], message: sized(box.address, i) })),
    );
    await waitForLockWaiters(db, 5);
    await held.commit();
    const results = await Promise.all(deliveries);
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    for (const r of results.filter((r) => !r.ok)) {
      expect(isDomainError((r as { error: unknown }).error, 'QUOTA_EXCEEDED'), String(r)).toBe(true);
    }
    const after = await mailboxLedger(db, box.id);
    expect(after).toEqual({ ...before, used: before.used + 2 * size, stored: before.stored + 2 * size, emails: 3 });
    expect(after.used).toBeLessThanOrEqual(after.quota);
  });

  it('unsynchronised burst into two mailboxes: no lost update, the quota holds, refusals write nothing', async () => {
    const a = await boxWithRoomFor(4);
    const b = await boxWithRoomFor(6);
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => {
        const box = i % 2 === 0 ? a.box : b.box;
        return db.aether.mail.deliverInbound({ recipients: [box.address], message: sized(box.address, i) });
      }),
    );
    for (const r of results) {
      if (r.status === 'rejected') expect(isDomainError(r.reason, 'QUOTA_EXCEEDED'), String(r.reason)).toBe(true);
    }
    const delivered = (parity: number) => results.filter((r, i) => i % 2 === parity && r.status === 'fulfilled').length;
    expect([delivered(0), delivered(1)]).toEqual([4, 6]);
    for (const { box, size } of [a, b]) {
      const ledger = await mailboxLedger(db, box.id);
      expect(ledger.used).toBe(ledger.stored);
      expect(ledger.used).toBeLessThanOrEqual(ledger.quota);
      expect(ledger.quota - ledger.used).toBeLessThan(size);
    }
    // a refused delivery to a full mailbox changes no row of any table
    const full = await digestRows(db);
    await expect(
      db.aether.mail.deliverInbound({ recipients: [a.box.address], message: sized(a.box.address, 9) }),
    ).rejects.toSatisfy((e: unknown) => isDomainError(e, 'QUOTA_EXCEEDED'));
    expect(await digestRows(db)).toEqual(full);
  });
});
