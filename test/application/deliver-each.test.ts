/**
 * LMTP's delivery use case: one raw message, one outcome per envelope recipient, each recipient
 * answered on its own, idempotent per mailbox and message (an MTA's retry after a lost reply
 * stores nothing new); and its batch form (the agent's group commit), which stores many messages in
 * one unit of work and falls back to one recipient at a time when any is refused. Every test
 * checks the rows afterwards.
 */
import { describe, expect, it } from 'vitest';
import { DELIVERY_RECEIPT_WINDOW_MS } from '../../src/domain/delivery-receipt.js';
import { digestRows } from '../support/digest.js';
import { folderCountDrift } from '../support/folder-counts.js';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { mailboxLedger } from '../support/ledger.js';
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

/** Each INBOX's UIDs, in order: 1..n with no gap, whatever the batches did. */
const inboxUids = async (mailboxId: string) =>
  (
    await db.sql<{ uid: number }>(
      `select e.uid::int from email e join folder f on f.mailbox_id = e.mailbox_id and f.id = e.folder_id
        where e.mailbox_id = $1 and f.role = 'inbox' order by e.uid`,
      [mailboxId],
    )
  ).map((r) => r.uid);

const codes = (outcomes: { error?: { code: string } }[][]) =>
  outcomes.map((own) => own.map((o) => o.error?.code ?? (o as { delivered?: unknown[] }).delivered?.length));

describe('deliverEachBatch (the LMTP agent gathers concurrent messages)', () => {
  it('stores several messages for several recipients in one go: every copy, UIDs in order, counters exact', async () => {
    const { box, twice, domain, owner } = await world();
    const other = await db.aether.mailboxes.create(owner.id, { address: `other@${domain.name}` });
    const outcomes = await db.aether.mail.deliverEachBatch([
      { recipients: [box.address, other.address], raw: rawMessage(box.address) },
      { recipients: [other.address], raw: rawMessage(other.address) },
      { recipients: [twice.address], raw: rawMessage(twice.address) },
      { recipients: [box.address], raw: rawMessage(box.address) },
    ]);
    expect(codes(outcomes)).toEqual([[1, 1], [1], [1], [1]]);
    expect(await inboxUids(box.id)).toEqual([1, 2, 3]);
    expect(await inboxUids(other.id)).toEqual([1, 2]);
    expect(await folderCountDrift(db)).toEqual([]);
    for (const id of [box.id, other.id]) {
      const ledger = await mailboxLedger(db, id);
      expect(ledger.used).toBe(ledger.stored);
    }
    // one journal entry and one event per copy, all under the mailbox's one modseq of the batch
    const journal = await db.sql<{ mailbox_id: string; n: number; modseqs: number }>(
      `select mailbox_id, count(*)::int as n, count(distinct modseq)::int as modseqs from mail_change
        where kind = 'added' and mailbox_id in ($1, $2) group by mailbox_id order by n desc`,
      [box.id, other.id],
    );
    expect(journal.map((j) => [j.n, j.modseqs])).toEqual([
      [3, 1],
      [2, 1],
    ]);
    const events = await db.sql<{ n: number }>(
      `select count(*)::int as n from outbox_event where kind = 'email.delivered' and mailbox_id in ($1, $2)`,
      [box.id, other.id],
    );
    expect(events[0]!.n).toBe(5);
  });

  it('a refused recipient anywhere in the batch is answered alone; the rest are stored, the refused write nothing', async () => {
    const { domain, box, full, off } = await world();
    const before = await digestRows(db, { mentioning: [full.id, off.id] });
    const outcomes = await db.aether.mail.deliverEachBatch([
      { recipients: [box.address, `nobody@${domain.name}`], raw: rawMessage(box.address) },
      { recipients: [full.address], raw: rawMessage(full.address) },
      { recipients: [off.address, box.address], raw: rawMessage(off.address) },
      { recipients: ['not an address'], raw: rawMessage(box.address) },
      { recipients: [box.address], raw: Buffer.alloc(0) },
    ]);
    expect(codes(outcomes)).toEqual([
      [1, 'NO_SUCH_RECIPIENT'],
      ['QUOTA_EXCEEDED'],
      ['MAILBOX_SUSPENDED', 1],
      ['INVALID_EMAIL_ADDRESS'],
      ['INVALID_MESSAGE'],
    ]);
    expect(await inboxUids(box.id)).toEqual([1, 2]);
    expect(await digestRows(db, { mentioning: [full.id, off.id] })).toEqual(before);
    expect(await folderCountDrift(db)).toEqual([]);
  });

  it('a fault in one message (not a verdict: here its parse throws a TypeError) fails that message alone, storing nothing for it', async () => {
    const { box, owner, domain } = await world();
    const other = await db.aether.mailboxes.create(owner.id, { address: `other@${domain.name}` });
    // a stand-in for a parser that crashes: reading the message throws what no domain rule throws
    const crashing = new Proxy(
      {},
      {
        get() {
          throw new TypeError('the parser crashed');
        },
      },
    ) as Buffer;
    const before = await digestRows(db, { mentioning: [other.id] });
    const outcomes = await db.aether.mail.deliverEachBatch([
      { recipients: [box.address], raw: rawMessage(box.address) },
      { recipients: [other.address, box.address], raw: crashing },
      { recipients: [box.address], raw: rawMessage(box.address) },
    ]);
    expect(codes(outcomes)).toEqual([[1], ['DELIVERY_FAILED', 'DELIVERY_FAILED'], [1]]);
    // the fault is kept as the cause (for the agent's log), never shown as a database outage
    expect(outcomes[1]![0]!.error!.cause).toBeInstanceOf(TypeError);
    expect(await inboxUids(box.id)).toEqual([1, 2]);
    expect(await digestRows(db, { mentioning: [other.id] })).toEqual(before);
    expect(await folderCountDrift(db)).toEqual([]);
  });

  it('a batch that would overfill a mailbox stores what fits, in order, and refuses the rest', async () => {
    const { owner, domain } = await world();
    const first = rawMessage('x');
    const small = await db.aether.mailboxes.create(owner.id, {
      address: `small@${domain.name}`,
      quotaBytes: 2 * first.length + 40,
    });
    const raws = [rawMessage(small.address), rawMessage(small.address), rawMessage(small.address)];
    const outcomes = await db.aether.mail.deliverEachBatch(raws.map((raw) => ({ recipients: [small.address], raw })));
    expect(codes(outcomes)).toEqual([[1], [1], ['QUOTA_EXCEEDED']]);
    const ledger = await mailboxLedger(db, small.id);
    expect(ledger).toMatchObject({ emails: 2, used: ledger.stored });
    expect(ledger.used).toBeLessThanOrEqual(ledger.quota);
  });

  it('the same message twice in a batch (a retry racing the original), and again through an alias, is one copy', async () => {
    const { box, twice } = await world();
    const raw = rawMessage(box.address);
    const outcomes = await db.aether.mail.deliverEachBatch([
      { recipients: [box.address], raw },
      { recipients: [box.address], raw },
      { recipients: [twice.address, box.address], raw },
    ]);
    expect(codes(outcomes)).toEqual([[1], [0], [0, 0]]);
    expect(await copies(box.id)).toBe(1);
    const receipts = await db.sql<{ n: number }>(
      'select count(*)::int as n from delivery_receipt where mailbox_id = $1',
      [box.id],
    );
    expect(receipts[0]!.n).toBe(1);
  });

  it('deterministic race: two batches with a message in common wait on the mailbox; one copy of it is stored', async () => {
    const { box, owner, domain } = await world();
    const other = await db.aether.mailboxes.create(owner.id, { address: `other@${domain.name}` });
    const shared = rawMessage(box.address);
    const held = await hold(db, [['select 1 from mailbox_usage where mailbox_id = $1 for update', [box.id]]]);
    const batches = Promise.allSettled([
      db.aether.mail.deliverEachBatch([
        { recipients: [box.address], raw: shared },
        { recipients: [other.address], raw: rawMessage(other.address) },
      ]),
      db.aether.mail.deliverEachBatch([
        { recipients: [other.address, box.address], raw: shared },
        { recipients: [box.address], raw: rawMessage(box.address) },
      ]),
    ]);
    await waitForLockWaiters(db, 2);
    await held.commit();
    const [a, b] = await batches;
    expect(a.status === 'fulfilled' && b.status === 'fulfilled').toBe(true);
    const all = [...(a as PromiseFulfilledResult<never>).value, ...(b as PromiseFulfilledResult<never>).value];
    expect(
      codes(all)
        .flat()
        .filter((c) => typeof c === 'string'),
    ).toEqual([]);
    // box: the shared message once and the other one; other: its own message and the shared one
    expect(await inboxUids(box.id)).toEqual([1, 2]);
    expect(await inboxUids(other.id)).toEqual([1, 2]);
    expect(await folderCountDrift(db)).toEqual([]);
  });

  it('unsynchronised burst: overlapping batches store each (mailbox, message) once, UIDs gap-free, ledgers exact', async () => {
    const { owner, domain } = await world();
    const boxes = await Promise.all(
      [0, 1, 2].map((i) => db.aether.mailboxes.create(owner.id, { address: `burst${i}@${domain.name}` })),
    );
    const raws = Array.from({ length: 8 }, (_, i) => rawMessage(`burst${i}@${domain.name}`));
    // message i goes to boxes i % 3 and (i + 1) % 3; each of 6 batches sends 4 of them, overlapping
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, b) =>
        db.aether.mail.deliverEachBatch(
          [0, 1, 2, 3].map((k) => {
            const i = (b + k * 2) % raws.length;
            return { recipients: [boxes[i % 3]!.address, boxes[(i + 1) % 3]!.address], raw: raws[i]! };
          }),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const outcomes = results.flatMap(
      (r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof db.aether.mail.deliverEachBatch>>>).value,
    );
    expect(outcomes.flat().filter((o) => o.error)).toEqual([]);
    const sent = new Set<string>();
    for (let b = 0; b < 6; b++)
      for (let k = 0; k < 4; k++) {
        const i = (b + k * 2) % raws.length;
        sent.add(`${i % 3} ${i}`).add(`${(i + 1) % 3} ${i}`);
      }
    for (const [n, box] of boxes.entries()) {
      const expected = [...sent].filter((key) => key.startsWith(`${n} `)).length;
      expect(await inboxUids(box.id)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
      const ledger = await mailboxLedger(db, box.id);
      expect(ledger).toMatchObject({ emails: expected, used: ledger.stored });
    }
    expect(outcomes.flat().reduce((sum, o) => sum + (o.delivered?.length ?? 0), 0)).toBe(sent.size);
    expect(await folderCountDrift(db)).toEqual([]);
  });
});
