/**
 * LMTP's delivery use case: one raw message, one outcome per envelope recipient, each recipient in
 * a unit of work of its own, idempotent per mailbox and message (an MTA's retry after a lost reply
 * stores nothing new). Every test checks the rows afterwards.
 */
import { describe, expect, it } from 'vitest';
import { DELIVERY_RECEIPT_WINDOW_MS } from '../../src/domain/delivery-receipt.js';
import { digestRows } from '../support/digest.js';
import { useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

let n = 0;
const rawMessage = (to: string, subject = `lmtp ${n++}`) =>
  Buffer.from(
    [
      'From: Sender <sender@outside.test>',
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <${subject.replaceAll(' ', '.')}.${process.pid}@outside.test>`,
      'Date: Fri, 04 Dec 2026 12:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello over LMTP.',
      '',
    ].join('\r\n'),
  );

const copies = async (mailboxId: string) =>
  (await db.sql<{ n: number }>('select count(*)::int as n from email where mailbox_id = $1', [mailboxId]))[0]!.n;

async function world() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
  const full = await db.aether.mailboxes.create(owner.id, { address: `full@${domain.name}`, quotaBytes: 10 });
  const off = await db.aether.mailboxes.create(owner.id, { address: `off@${domain.name}` });
  await db.aether.mailboxes.suspend(owner.id, off.id);
  // twice@ reaches box@ by two paths: directly and through also@
  const also = await db.aether.aliases.add(owner.id, {
    source: `also@${domain.name}`,
    destinations: [box.address],
  });
  const twice = await db.aether.aliases.add(owner.id, {
    source: `twice@${domain.name}`,
    destinations: [box.address, also.address],
  });
  return { owner, domain, box, full, off, twice };
}

describe('deliverEach', () => {
  it('answers each recipient on its own: the refused ones store nothing, the others their copy', async () => {
    const { domain, box, full, off } = await world();
    const raw = rawMessage(box.address);
    const outcomes = await db.aether.mail.deliverEach({
      recipients: [box.address, `nobody@${domain.name}`, full.address, off.address, 'not an address'],
      raw,
    });
    expect(outcomes.map((o) => [o.recipient, o.error?.code ?? 'delivered'])).toEqual([
      [box.address, 'delivered'],
      [`nobody@${domain.name}`, 'NO_SUCH_RECIPIENT'],
      [full.address, 'QUOTA_EXCEEDED'],
      [off.address, 'MAILBOX_SUSPENDED'],
      ['not an address', 'INVALID_EMAIL_ADDRESS'],
    ]);
    expect(outcomes[0]!.delivered).toHaveLength(1);
    expect([await copies(box.id), await copies(full.id), await copies(off.id)]).toEqual([1, 0, 0]);
    const [stored] = await db.sql<{ raw: Buffer }>(
      'select m.raw from email e join message m using (mailbox_id, content_hash) where e.mailbox_id = $1',
      [box.id],
    );
    expect(Buffer.compare(stored!.raw, raw)).toBe(0);
  });

  it('a retry of the same bytes (the MTA lost the final reply) is answered as delivered and stores nothing', async () => {
    const { box } = await world();
    const raw = rawMessage(box.address);
    const first = await db.aether.mail.deliverEach({ recipients: [box.address], raw });
    expect(first[0]!.delivered).toHaveLength(1);
    const before = await digestRows(db);
    const retry = await db.aether.mail.deliverEach({ recipients: [box.address], raw });
    expect(retry).toEqual([{ recipient: box.address, delivered: [], forwarded: [], queued: [] }]);
    expect(await digestRows(db)).toEqual(before);
    expect(await copies(box.id)).toBe(1);
  });

  it('an alias that reaches a mailbox twice, and the mailbox itself, leave one copy', async () => {
    const { box, twice } = await world();
    const outcomes = await db.aether.mail.deliverEach({
      recipients: [twice.address, box.address],
      raw: rawMessage(box.address),
    });
    expect(outcomes.map((o) => o.error)).toEqual([undefined, undefined]);
    expect(await copies(box.id)).toBe(1);
  });

  it('a burst of concurrent retries of one message stores exactly one copy', async () => {
    const { box } = await world();
    const raw = rawMessage(box.address);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => db.aether.mail.deliverEach({ recipients: [box.address], raw })),
    );
    expect(outcomes.flat().filter((o) => o.error)).toEqual([]);
    expect(outcomes.flat().reduce((sum, o) => sum + (o.delivered?.length ?? 0), 0)).toBe(1);
    expect(await copies(box.id)).toBe(1);
    const ledger = await db.sql<{ used: number; sum: number }>(
      `select a.used_bytes::int as used, (select coalesce(sum(size_bytes), 0)::int from email where mailbox_id = a.mailbox_id) as sum
       from mailbox_usage a where a.mailbox_id = $1`,
      [box.id],
    );
    expect(ledger[0]!.used).toBe(ledger[0]!.sum);
  });

  it('the same bytes after the window are a new delivery, and the receipt is renewed', async () => {
    const { box } = await world();
    const raw = rawMessage(box.address);
    await db.aether.mail.deliverEach({ recipients: [box.address], raw });
    await db.sql(
      `update delivery_receipt set delivered_at = delivered_at - make_interval(secs => $1) where mailbox_id = $2`,
      [DELIVERY_RECEIPT_WINDOW_MS / 1000 + 60, box.id],
    );
    const again = await db.aether.mail.deliverEach({ recipients: [box.address], raw });
    expect(again[0]!.delivered).toHaveLength(1);
    expect(await copies(box.id)).toBe(2);
    const receipts = await db.sql<{ fresh: boolean }>(
      `select delivered_at > now() - interval '1 minute' as fresh from delivery_receipt where mailbox_id = $1`,
      [box.id],
    );
    expect(receipts).toEqual([{ fresh: true }]);
  });

  it('a message that cannot be stored refuses every recipient, and nothing is written', async () => {
    const { box } = await world();
    const before = await digestRows(db);
    const outcomes = await db.aether.mail.deliverEach({ recipients: [box.address, box.address], raw: Buffer.alloc(0) });
    expect(outcomes.map((o) => o.error?.code)).toEqual(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
    expect(await digestRows(db)).toEqual(before);
  });
});
