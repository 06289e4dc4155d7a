/**
 * The outbound queue: send and external forwards record one entry per recipient in their unit of
 * work; relays claim with `for update skip locked` (never the same entry twice), under a lease that
 * a dead relay's claim loses; outcomes are fenced by the attempt number; deferrals back off on a
 * documented schedule; a bounce puts an RFC 3464 report into the sender's INBOX. Every check reads
 * the database.
 */
import { describe, expect, it } from 'vitest';
import { type ClaimedMessage, OutboundService } from '../../src/application/outbound-service.js';
import { DEFAULT_OUTBOUND_RETRY, retryDelaySeconds } from '../../src/domain/outbound-message.js';
import { parseRawMessage } from '../../src/domain/raw-message.js';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 20 });

interface Entry {
  id: string;
  tenant_id: string;
  sender_mailbox_id: string | null;
  envelope_sender: string;
  recipient: string;
  content_hash: string | null;
  status: string;
  attempts: number;
  claimed_by: string | null;
  last_error: string | null;
  bounce_email_id: string | null;
}

const entries = (where = 'true', params: unknown[] = []) =>
  db.sql<Entry>(`select * from outbound_message where ${where} order by recipient, id`, params);

async function sender(options: { quotaBytes?: number } = {}) {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, {
    address: `out@${domain.name}`,
    ...(options.quotaBytes ? { quotaBytes: options.quotaBytes } : {}),
  });
  return { owner, domain, box };
}

/** Sends one message from `box` to `count` external recipients; returns the entries' ids. */
async function queueMail(ownerId: string, boxId: string, count: number, tag = 'x') {
  const report = await db.aether.mail.send(ownerId, boxId, {
    to: Array.from({ length: count }, (_, i) => `r${i}-${tag}@far.test`),
    subject: `to ${count} (${tag})`,
    body: 'hello out there',
  });
  return report.queued.map((q) => q.id);
}

/** Makes entries due now, as if their backoff or lease had passed (on the database's clock). */
const makeDue = (ids: string[]) =>
  db.sql(`update outbound_message set next_attempt_at = now() - interval '1 second' where id = any($1::uuid[])`, [ids]);

const ticket = (c: ClaimedMessage) => ({ id: c.id, attempt: c.attempt });

describe('queueing', () => {
  it('send records one queued entry per external recipient, in its unit of work, with its event', async () => {
    const { owner, domain, box } = await sender();
    const friend = await db.aether.mailboxes.create(owner.id, { address: `friend@${domain.name}` });
    const report = await db.aether.mail.send(owner.id, box.id, {
      to: [friend.address, 'far@outside.test', 'Other@Outside.test'],
      cc: ['far@outside.test'],
      subject: 'hey',
      body: 'b',
    });
    expect(report.forwarded.sort()).toEqual(['far@outside.test', 'other@outside.test']);
    const rows = await entries('sender_mailbox_id = $1', [box.id]);
    expect(rows.map((r) => r.recipient)).toEqual(['far@outside.test', 'other@outside.test']);
    expect(report.queued.map((q) => q.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const [sent] = await db.sql<{ content_hash: string }>('select content_hash from email where id = $1', [
      report.sentId,
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({
        tenant_id: owner.id,
        envelope_sender: box.address,
        content_hash: sent!.content_hash,
        status: 'queued',
        attempts: 0,
        claimed_by: null,
        last_error: null,
      });
    }
    const events = await db.sql<{ data: Record<string, unknown> }>(
      `select data from outbox_event where kind = 'outbound.queued' and tenant_id = $1 order by position`,
      [owner.id],
    );
    expect(events.map((e) => e.data.outboundId).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(events[0]!.data).toMatchObject({ mailboxId: box.id });
  });

  it('an alias forwarding outside queues the forward as its domain owner, From as envelope sender, no sender mailbox', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const local = await db.aether.mailboxes.create(owner.id, { address: `keep@${domain.name}` });
    await db.aether.aliases.add(owner.id, {
      source: `fwd@${domain.name}`,
      destinations: [local.address, 'home@elsewhere.test'],
    });
    const report = await db.aether.mail.deliverInbound({
      recipients: [`fwd@${domain.name}`],
      message: { from: 'writer@outside.test', to: [`fwd@${domain.name}`], subject: 's', body: 'forward me' },
    });
    expect(report.forwarded).toEqual(['home@elsewhere.test']);
    const [row] = await entries('recipient = $1', ['home@elsewhere.test']);
    expect(row).toMatchObject({
      tenant_id: owner.id,
      sender_mailbox_id: null,
      envelope_sender: 'writer@outside.test',
      status: 'queued',
    });
    expect(report.queued).toEqual([{ id: row!.id, recipient: 'home@elsewhere.test' }]);
  });

  it('LMTP: a retry of the same bytes queues no second forward, even as a burst; after the window it is a new one', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    await db.aether.aliases.add(owner.id, { source: `only-out@${domain.name}`, destinations: ['away@elsewhere.test'] });
    const raw = Buffer.from(
      `From: w@outside.test\r\nTo: only-out@${domain.name}\r\nSubject: retried\r\nMessage-ID: <retry-${domain.name}@outside.test>\r\n\r\nbody\r\n`,
    );
    const deliver = () => db.aether.mail.deliverEach({ recipients: [`only-out@${domain.name}`], raw });
    const [first] = await deliver();
    expect(first!.queued).toHaveLength(1);
    const [retry] = await deliver();
    expect(retry).toMatchObject({ forwarded: ['away@elsewhere.test'], queued: [] });
    const burst = (await Promise.all(Array.from({ length: 6 }, deliver))).flat();
    expect(burst.filter((o) => o.error)).toEqual([]);
    expect(burst.flatMap((o) => o.queued ?? [])).toEqual([]);
    expect(await entries('recipient = $1', ['away@elsewhere.test'])).toHaveLength(1);
    // the window passes (moved back on the database's clock, which the receipt runs on)
    await db.sql(
      `update delivery_receipt set delivered_at = delivered_at - interval '8 days'
        where mailbox_id = (select id from address where address = $1)`,
      [`only-out@${domain.name}`],
    );
    const [later] = await deliver();
    expect(later!.queued).toHaveLength(1);
    expect(await entries('recipient = $1', ['away@elsewhere.test'])).toHaveLength(2);
  });

  it('a refused send queues nothing (digest of every row)', async () => {
    const { owner, box } = await sender();
    await db.aether.mailboxes.suspend(owner.id, box.id);
    await expectRefused(db, 'MAILBOX_SUSPENDED', () =>
      db.aether.mail.send(owner.id, box.id, { to: ['x@far.test'], subject: 's', body: 'b' }),
    );
  });
});

describe('claiming and delivering', () => {
  it('a claim returns the raw message and takes a numbered attempt; delivered finishes the entry', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'one'))[0]!;
    const claimed = (await db.aether.outbound.claim({ relayId: 'relay-a', limit: 500 })).filter((c) => c.id === id);
    expect(claimed).toHaveLength(1);
    const c = claimed[0]!;
    expect(c).toMatchObject({ attempt: 1, envelopeSender: box.address, recipient: 'r0-one@far.test' });
    expect((await parseRawMessage(c.raw)).subject).toBe('to 1 (one)');
    expect(c.leaseExpiresAt.getTime()).toBeGreaterThan(Date.now() + 200_000);
    expect((await entries('id = $1', [id]))[0]).toMatchObject({
      status: 'claimed',
      attempts: 1,
      claimed_by: 'relay-a',
    });
    expect(await db.aether.outbound.claim({ relayId: 'relay-b', limit: 500 })).not.toContainEqual(
      expect.objectContaining({ id }),
    );
    const [outcome] = await db.aether.outbound.delivered([ticket(c)]);
    expect(outcome).toMatchObject({ id, status: 'delivered', attempts: 1 });
    const [row] = await db.sql<Entry & { finished_at: Date | null }>('select * from outbound_message where id = $1', [
      id,
    ]);
    expect(row).toMatchObject({ status: 'delivered', claimed_by: null, content_hash: null });
    expect(row!.finished_at).not.toBeNull();
    // the Sent copy keeps the message
    expect(await db.sql('select 1 from message where content_hash = $1', [c.contentHash])).toHaveLength(1);
    expect(
      await db.sql(`select 1 from outbox_event where kind = 'outbound.delivered' and data->>'outboundId' = $1`, [id]),
    ).toHaveLength(1);
  });

  it('a forwarded message that only went out is kept on its entry, not in the store, and released when delivered', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    await db.aether.aliases.add(owner.id, { source: `away@${domain.name}`, destinations: ['me@elsewhere.test'] });
    const { queued } = await db.aether.mail.deliverInbound({
      recipients: [`away@${domain.name}`],
      message: { from: 'a@outside.test', to: [`away@${domain.name}`], subject: 'only out', body: 'bytes' },
    });
    const [c] = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((x) => x.id === queued[0]!.id);
    expect(c!.raw.toString('latin1')).toContain('only out');
    // no mailbox here holds it: the message store has no row for it (it is per mailbox)
    expect(await db.sql('select 1 from message where content_hash = $1', [c!.contentHash])).toHaveLength(0);
    const [held] = await db.sql<{ raw: Buffer }>('select raw from outbound_message where id = $1', [c!.id]);
    expect(Buffer.compare(held!.raw, c!.raw)).toBe(0);
    await db.aether.outbound.delivered([ticket(c!)]);
    expect(await db.sql('select content_hash, raw from outbound_message where id = $1', [c!.id])).toEqual([
      { content_hash: null, raw: null },
    ]);
  });

  it('a waiting entry does not keep a stored message: the store’s sweep removes it, the relay still has the bytes', async () => {
    const { owner, box } = await sender();
    const report = await db.aether.mail.send(owner.id, box.id, { to: ['x@far.test'], subject: 'swept', body: 'z' });
    const [{ content_hash: hash }] = (await db.sql<{ content_hash: string }>(
      'select content_hash from email where id = $1',
      [report.sentId],
    )) as [{ content_hash: string }];
    // the Sent copy gone by hand (no sweep of its own): only the queue entry shares the hash now
    await db.sql('delete from email where id = $1', [report.sentId]);
    expect(await db.sql('select 1 from message where content_hash = $1', [hash])).toHaveLength(1);
    const stored = async () => (await db.sql<{ n: number }>('select count(*)::int as n from message'))[0]!.n;
    const before = await stored();
    const { removed } = await db.aether.store.sweepMessages();
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(removed).toBe(before - (await stored())); // what was deleted, exactly
    expect((await db.aether.store.sweepMessages()).removed).toBe(0);
    expect(await db.sql('select 1 from message where content_hash = $1', [hash])).toHaveLength(0);
    const [c] = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter(
      (x) => x.id === report.queued[0]!.id,
    );
    expect(c!.contentHash).toBe(hash);
    expect(c!.raw.toString('latin1')).toContain('swept');
  });

  it('held rows are skipped, not waited for: two claimers never get the same entry (deterministic)', async () => {
    const { owner, box } = await sender();
    const ids = await queueMail(owner.id, box.id, 6, 'skip');
    // another claimer is in the middle of taking three of them
    const taken = ids.slice(0, 3);
    const held = await hold(db, [[`select id from outbound_message where id = any($1::uuid[]) for update`, [taken]]]);
    const first = await db.aether.outbound.claim({ relayId: 'relay-a', limit: 500 });
    const firstIds = first.map((c) => c.id).filter((id) => ids.includes(id));
    expect(firstIds.sort()).toEqual(ids.slice(3).sort());
    await held.commit();
    const second = await db.aether.outbound.claim({ relayId: 'relay-b', limit: 500 });
    expect(
      second
        .map((c) => c.id)
        .filter((id) => ids.includes(id))
        .sort(),
    ).toEqual([...taken].sort());
    await db.aether.outbound.delivered([...first, ...second].filter((c) => ids.includes(c.id)).map(ticket));
    const rows = await entries('id = any($1::uuid[])', [ids]);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(Array(6).fill(['delivered', 1]));
  });

  it('an outcome waits for a claim in flight on its row, then sees it (deterministic)', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'wait'))[0]!;
    const [c] = (await db.aether.outbound.claim({ relayId: 'relay-a', limit: 500 })).filter((x) => x.id === id);
    // a transaction of the test's own takes the row over (as a relay claiming it after the lease would)
    const held = await hold(db, [
      [
        `update outbound_message set attempts = attempts + 1, claimed_by = 'relay-b' where id = $1 and status = 'claimed'`,
        [id],
      ],
    ]);
    const late = db.aether.outbound.delivered([ticket(c!)]).then(
      () => 'delivered',
      (e: { code?: string }) => e.code,
    );
    await waitForLockWaiters(db, 1);
    await held.commit();
    expect(await late).toBe('CLAIM_LOST');
    expect((await entries('id = $1', [id]))[0]).toMatchObject({
      status: 'claimed',
      attempts: 2,
      claimed_by: 'relay-b',
    });
  });

  it('a burst of relays claiming and delivering at once: every entry delivered exactly once', async () => {
    const { owner, box } = await sender();
    const ids = new Set([
      ...(await queueMail(owner.id, box.id, 20, 'b1')),
      ...(await queueMail(owner.id, box.id, 20, 'b2')),
    ]);
    const seen: string[] = [];
    const relay = async (name: string) => {
      for (let round = 0; round < 40; round++) {
        const batch = (await db.aether.outbound.claim({ relayId: name, limit: 3 })).filter((c) => ids.has(c.id));
        if (batch.length === 0) return;
        seen.push(...batch.map((c) => c.id));
        await db.aether.outbound.delivered(batch.map(ticket));
      }
    };
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => relay(`relay-${i}`)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(seen).toHaveLength(ids.size);
    expect(new Set(seen).size).toBe(ids.size);
    const rows = await entries('id = any($1::uuid[])', [[...ids]]);
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
    const events = await db.sql<{ n: number }>(
      `select count(*)::int as n from outbox_event where kind = 'outbound.delivered' and data->>'outboundId' = any($1)`,
      [[...ids]],
    );
    expect(events[0]!.n).toBe(ids.size);
  });
});

describe('leases', () => {
  it('an expired claim is taken over by another relay; the first relay’s late outcomes are CLAIM_LOST and change nothing', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'lease'))[0]!;
    const [a] = (await db.aether.outbound.claim({ relayId: 'relay-a', leaseSeconds: 60 })).filter((c) => c.id === id);
    expect(await db.aether.outbound.claim({ relayId: 'relay-b' })).not.toContainEqual(expect.objectContaining({ id }));
    // relay-a died; its lease ends (moved back on the database's clock, which leases run on)
    await makeDue([id]);
    const [b] = (await db.aether.outbound.claim({ relayId: 'relay-b' })).filter((c) => c.id === id);
    expect(b).toMatchObject({ id, attempt: 2 });
    await expectRefused(db, 'CLAIM_LOST', () => db.aether.outbound.delivered([ticket(a!)]));
    await expectRefused(db, 'CLAIM_LOST', () => db.aether.outbound.deferred(ticket(a!), '421 try later'));
    await expectRefused(db, 'CLAIM_LOST', () => db.aether.outbound.bounced(ticket(a!), '550 no'));
    await db.aether.outbound.delivered([ticket(b!)]);
    // and once finished, even the current claim's repeat is refused
    await expectRefused(db, 'CLAIM_LOST', () => db.aether.outbound.delivered([ticket(b!)]));
    expect((await entries('id = $1', [id]))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('a batch with one lost claim marks nothing', async () => {
    const { owner, box } = await sender();
    const ids = await queueMail(owner.id, box.id, 2, 'batch');
    const claimed = (await db.aether.outbound.claim({ relayId: 'relay-a' })).filter((c) => ids.includes(c.id));
    await makeDue([ids[0]!]);
    await db.aether.outbound.claim({ relayId: 'relay-b' });
    await expectRefused(db, 'CLAIM_LOST', () => db.aether.outbound.delivered(claimed.map(ticket)));
  });
});

describe('deferrals', () => {
  it(`back off on the documented schedule (doubling from 5 minutes, at most 4 hours) and bounce at the ${DEFAULT_OUTBOUND_RETRY.maxAttempts}th failure`, async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'backoff'))[0]!;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= DEFAULT_OUTBOUND_RETRY.maxAttempts; attempt++) {
      const [c] = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((x) => x.id === id);
      expect(c?.attempt).toBe(attempt);
      const outcome = await db.aether.outbound.deferred(ticket(c!), `421 4.4.2 busy (${attempt})`);
      if (outcome.status === 'bounced') break;
      const [row] = await db.sql<{ wait: number; status: string; last_error: string }>(
        `select extract(epoch from next_attempt_at - updated_at)::int as wait, status, last_error from outbound_message where id = $1`,
        [id],
      );
      expect(row).toMatchObject({ status: 'deferred', last_error: `421 4.4.2 busy (${attempt})` });
      // not due before its time
      expect(await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).not.toContainEqual(
        expect.objectContaining({ id }),
      );
      waits.push(row!.wait);
      await makeDue([id]);
    }
    expect(waits.slice(0, 8)).toEqual([300, 600, 1200, 2400, 4800, 9600, 14_400, 14_400]);
    expect(waits).toEqual(waits.map((_, i) => retryDelaySeconds(DEFAULT_OUTBOUND_RETRY, i + 1)));
    expect(waits).toHaveLength(DEFAULT_OUTBOUND_RETRY.maxAttempts - 1);
    const [row] = await entries('id = $1', [id]);
    expect(row).toMatchObject({ status: 'bounced', attempts: DEFAULT_OUTBOUND_RETRY.maxAttempts });
    expect(row!.last_error).toContain('gave up after 30 attempts');
    expect(row!.bounce_email_id).not.toBeNull();
  });

  it('a message older than the policy’s age bounces at its next failure, whatever its attempts', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'old'))[0]!;
    await db.sql(`update outbound_message set queued_at = now() - interval '6 days' where id = $1`, [id]);
    const [c] = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((x) => x.id === id);
    expect(await db.aether.outbound.deferred(ticket(c!), '421 busy')).toMatchObject({ status: 'bounced', attempts: 1 });
  });

  it('a policy of its own: first delay, cap and attempts as configured', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'policy'))[0]!;
    const service = new OutboundService(db.aether.unitOfWork, {
      firstDelaySeconds: 10,
      maxDelaySeconds: 25,
      maxAttempts: 4,
      maxAgeSeconds: 86_400,
    });
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const [c] = (await service.claim({ relayId: 'r', limit: 500 })).filter((x) => x.id === id);
      const outcome = await service.deferred(ticket(c!), '451 later');
      outcomes.push(
        outcome.status === 'deferred'
          ? Math.round(((outcome.nextAttemptAt as Date).getTime() - Date.now()) / 1000)
          : outcome.status,
      );
      await makeDue([id]);
    }
    expect(outcomes).toEqual([
      expect.toSatisfy((s: number) => s > 5 && s <= 10),
      expect.toSatisfy((s: number) => s > 15 && s <= 20),
      expect.toSatisfy((s: number) => s > 20 && s <= 25),
      'bounced',
    ]);
  });
});

describe('bounces', () => {
  it('put an RFC 3464 report into the sender’s INBOX through the store, and finish the entry', async () => {
    const { owner, box } = await sender();
    const sent = await db.aether.mail.send(owner.id, box.id, {
      to: ['gone@far.test'],
      subject: 'Quarterly numbers',
      body: 'the body stays here',
      messageId: '<q4@numbers.test>',
    });
    const [c] = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter(
      (x) => x.id === sent.queued[0]!.id,
    );
    const outcome = await db.aether.outbound.bounced(ticket(c!), '550 5.1.1 <gone@far.test>: user unknown');
    expect(outcome).toMatchObject({ status: 'bounced', attempts: 1 });
    const [row] = await entries('id = $1', [c!.id]);
    expect(row).toMatchObject({
      status: 'bounced',
      last_error: '550 5.1.1 <gone@far.test>: user unknown',
      bounce_email_id: outcome.notificationEmailId,
      content_hash: null,
    });
    const inbox = await db.sql<{ id: string; uid: number; subject: string; from_address: string; size_bytes: number }>(
      `select e.id, e.uid::int as uid, e.subject, e.from_address, e.size_bytes::int as size_bytes
         from email e join folder f on f.id = e.folder_id where e.mailbox_id = $1 and f.role = 'inbox'`,
      [box.id],
    );
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({
      id: outcome.notificationEmailId,
      uid: 1,
      subject: 'Undelivered Mail Returned to Sender',
    });
    expect(inbox[0]!.from_address).toMatch(/^mailer-daemon@/i);
    const raw = (
      await db.aether.store.fetch({
        mailboxId: box.id,
        folderId: (
          await db.sql<{ id: string }>(`select id from folder where mailbox_id = $1 and role = 'inbox'`, [box.id])
        )[0]!.id,
        uids: [1],
        raw: true,
      })
    )[0]!.raw!.toString();
    expect(raw).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/);
    expect(raw).toMatch(/Content-Type: message\/delivery-status/);
    expect(raw).toContain('Final-Recipient: rfc822; gone@far.test');
    expect(raw).toContain('Action: failed');
    expect(raw).toContain('Status: 5.1.1');
    expect(raw).toContain('Diagnostic-Code: smtp; 550 5.1.1 <gone@far.test>: user unknown');
    expect(raw).toMatch(/Content-Type: text\/rfc822-headers/);
    expect(raw).toContain('Subject: Quarterly numbers');
    expect(raw).toContain('Message-ID: <q4@numbers.test>');
    expect(raw).not.toContain('the body stays here');
    // as any delivery: the quota counts it, the journal and the events say so
    const [{ used }] = (await db.sql<{ used: number }>(
      'select used_bytes::int as used from mailbox_usage where mailbox_id = $1',
      [box.id],
    )) as [{ used: number }];
    const [{ stored }] = (await db.sql<{ stored: number }>(
      'select sum(size_bytes)::int as stored from email where mailbox_id = $1',
      [box.id],
    )) as [{ stored: number }];
    expect(used).toBe(stored);
    expect(
      await db.sql(`select 1 from mail_change where mailbox_id = $1 and email_id = $2 and kind = 'added'`, [
        box.id,
        outcome.notificationEmailId,
      ]),
    ).toHaveLength(1);
    // positions order the events of one key (the owner's, the mailbox's), not across keys
    const kinds = await db.sql<{ ordering_key: string; kind: string }>(
      `select ordering_key, kind from outbox_event where ordering_key in ($1, $2)
          and (data->>'emailId' = $3 or data->>'outboundId' = $4) order by ordering_key, position`,
      [box.id, owner.id, outcome.notificationEmailId, c!.id],
    );
    const ofKey = (key: string) => kinds.filter((k) => k.ordering_key === key).map((k) => k.kind);
    expect(ofKey(owner.id)).toEqual(['outbound.queued', 'outbound.bounced']);
    expect(ofKey(box.id)).toEqual(['email.delivered']);
  });

  it('a sender mailbox that is full, suspended or gone gets no report; the bounce is still recorded', async () => {
    const full = await sender({ quotaBytes: 1 });
    // a quota of one byte is full at once (the Sent copy is refused too), so fill it a byte short after sending
    await db.sql(`update mailbox_usage set quota_bytes = 0 where mailbox_id = $1`, [full.box.id]);
    const [fullId] = await queueMail(full.owner.id, full.box.id, 1, 'full');
    await db.sql(`update mailbox_usage set quota_bytes = used_bytes where mailbox_id = $1`, [full.box.id]);
    const suspended = await sender();
    const [suspendedId] = await queueMail(suspended.owner.id, suspended.box.id, 1, 'susp');
    await db.aether.mailboxes.suspend(suspended.owner.id, suspended.box.id);
    const gone = await sender();
    const [goneId] = await queueMail(gone.owner.id, gone.box.id, 1, 'gone');
    await db.aether.mailboxes.delete(gone.owner.id, gone.box.id);
    const ids = [fullId!, suspendedId!, goneId!];
    expect((await entries('id = $1', [goneId]))[0]).toMatchObject({ sender_mailbox_id: null, status: 'queued' });
    const claimed = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((c) => ids.includes(c.id));
    expect(claimed).toHaveLength(3);
    for (const c of claimed) {
      expect(await db.aether.outbound.bounced(ticket(c), '550 rejected')).toMatchObject({
        status: 'bounced',
        notificationEmailId: null,
      });
    }
    const rows = await entries('id = any($1::uuid[])', [ids]);
    expect(rows.map((r) => [r.status, r.bounce_email_id])).toEqual(Array(3).fill(['bounced', null]));
    const inboxes = await db.sql(
      `select 1 from email e join folder f on f.id = e.folder_id where f.role = 'inbox' and e.mailbox_id = any($1::uuid[])`,
      [[full.box.id, suspended.box.id]],
    );
    expect(inboxes).toHaveLength(0);
  });
});

describe('bounces racing other writers', () => {
  it('a mailbox deleted while its bounce waits for it: the bounce is recorded without a report (deterministic)', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'race'))[0]!;
    const [c] = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((x) => x.id === id);
    const held = await hold(db, [[`delete from address where id = $1`, [box.id]]]);
    const bounce = db.aether.outbound.bounced(ticket(c!), '550 5.1.1 unknown');
    await waitForLockWaiters(db, 1);
    await held.commit();
    expect(await bounce).toMatchObject({ status: 'bounced', notificationEmailId: null });
    expect((await entries('id = $1', [id]))[0]).toMatchObject({ status: 'bounced', sender_mailbox_id: null });
    expect(await db.sql('select 1 from email where mailbox_id = $1', [box.id])).toHaveLength(0);
  });

  it('a burst of bounces and deliveries into one INBOX: each report and message stored once, UIDs distinct, quota exact', async () => {
    const { owner, box } = await sender();
    const ids = await queueMail(owner.id, box.id, 10, 'burst');
    const claimed = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((c) => ids.includes(c.id));
    expect(claimed).toHaveLength(10);
    const results = await Promise.allSettled([
      ...claimed.map((c) => db.aether.outbound.bounced(ticket(c), '550 no such user')),
      ...Array.from({ length: 10 }, (_, i) =>
        db.aether.mail.deliverInbound({
          recipients: [box.address],
          message: { from: 'x@outside.test', to: [box.address], subject: `in ${i}`, body: 'b' },
        }),
      ),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const inbox = await db.sql<{ uid: number; subject: string }>(
      `select e.uid::int as uid, e.subject from email e join folder f on f.id = e.folder_id
        where e.mailbox_id = $1 and f.role = 'inbox' order by e.uid`,
      [box.id],
    );
    expect(inbox.map((e) => e.uid)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(inbox.filter((e) => e.subject === 'Undelivered Mail Returned to Sender')).toHaveLength(10);
    const [ledger] = await db.sql<{ used: number; stored: number }>(
      `select a.used_bytes::int as used, (select sum(size_bytes)::int from email where mailbox_id = a.mailbox_id) as stored
         from mailbox_usage a where a.mailbox_id = $1`,
      [box.id],
    );
    expect(ledger!.used).toBe(ledger!.stored);
    const rows = await entries('id = any($1::uuid[])', [ids]);
    expect(rows.every((r) => r.status === 'bounced' && r.bounce_email_id !== null)).toBe(true);
  });
});

describe('retention', () => {
  it('prune removes finished entries older than the cutoff, never unfinished ones', async () => {
    const { owner, box } = await sender();
    const ids = await queueMail(owner.id, box.id, 4, 'prune');
    const claimed = (await db.aether.outbound.claim({ relayId: 'r', limit: 500 })).filter((c) => ids.includes(c.id));
    const byId = new Map(claimed.map((c) => [c.id, c]));
    const [oldDelivered, oldBounced, recent, pending] = ids as [string, string, string, string];
    await db.aether.outbound.delivered([ticket(byId.get(oldDelivered)!), ticket(byId.get(recent)!)]);
    await db.aether.outbound.bounced(ticket(byId.get(oldBounced)!), '550 no');
    await db.sql(
      `update outbound_message set finished_at = now() - interval '40 days', queued_at = now() - interval '41 days'
        where id = any($1::uuid[])`,
      [[oldDelivered, oldBounced]],
    );
    // the fourth is still claimed (unfinished), however old
    await db.sql(`update outbound_message set queued_at = now() - interval '41 days' where id = $1`, [pending]);
    const { removed } = await db.aether.outbound.prune();
    expect(removed).toBe(2);
    expect((await entries('id = any($1::uuid[])', [ids])).map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [recent, 'delivered'],
        [pending, 'claimed'],
      ].sort(),
    );
    await expectRefused(db, 'INVALID_CLAIM', () => db.aether.outbound.prune({ olderThan: new Date('nope') }));
  });
});

describe('refusals', () => {
  it('bad input is a typed error and writes nothing', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'bad'))[0]!;
    const service = db.aether.outbound;
    await expectRefused(db, 'INVALID_CLAIM', () => service.claim({ relayId: '' }));
    await expectRefused(db, 'INVALID_CLAIM', () => service.claim({ relayId: 'has space' }));
    await expectRefused(db, 'INVALID_CLAIM', () => service.claim({ relayId: 'r', limit: 0 }));
    await expectRefused(db, 'INVALID_CLAIM', () => service.claim({ relayId: 'r', limit: 501 }));
    await expectRefused(db, 'INVALID_CLAIM', () => service.claim({ relayId: 'r', leaseSeconds: 0 }));
    await expectRefused(db, 'INVALID_CLAIM', () => service.claim({ relayId: 'r', leaseSeconds: 1.5 }));
    await expectRefused(db, 'INVALID_CLAIM', () => service.delivered([]));
    await expectRefused(db, 'INVALID_CLAIM', () => service.delivered([{ id: id, attempt: 0 }]));
    await expectRefused(db, 'INVALID_CLAIM', () =>
      service.delivered([
        { id: id, attempt: 1 },
        { id: id, attempt: 1 },
      ]),
    );
    await expectRefused(db, 'INVALID_CLAIM', () => service.deferred({ id: id, attempt: 1 }, '  '));
    await expectRefused(db, 'INVALID_CLAIM', () => service.bounced({ id: id, attempt: 1 }, 42 as unknown as string));
    await expectRefused(db, 'NOT_FOUND', () => service.delivered([{ id: 'nope', attempt: 1 }]));
    await expectRefused(db, 'NOT_FOUND', () =>
      service.bounced({ id: '01900000-0000-7000-8000-000000000000', attempt: 1 }, '550'),
    );
    // not claimed yet: no attempt holds it
    await expectRefused(db, 'CLAIM_LOST', () => service.delivered([{ id: id, attempt: 1 }]));
  });

  it('the table refuses what the entity would: statuses, attempts, claims, finished rows', async () => {
    const { owner, box } = await sender();
    const id = (await queueMail(owner.id, box.id, 1, 'sql'))[0]!;
    const broken = [
      [`status = 'lost', attempts = 1, last_error = 'x'`, 'outbound_message_status_check'],
      [`attempts = -1`, 'outbound_message_attempts'],
      [`status = 'claimed', attempts = 1`, 'outbound_message_claim'],
      [`status = 'delivered', attempts = 1`, 'outbound_message_finished'],
      [`status = 'deferred', attempts = 1`, 'outbound_message_error'],
      [`content_hash = null`, 'outbound_message_content'],
      [`raw = null`, 'outbound_message_content'],
      [`content_hash = 'not-a-hash'`, 'outbound_message_content'],
      [`recipient = 'no-at-sign'`, 'outbound_message_recipient'],
      [`bounce_email_id = gen_random_uuid()`, 'outbound_message_bounce'],
    ] as const;
    for (const [set, constraint] of broken) {
      const error = await db.sql(`update outbound_message set ${set} where id = $1`, [id]).then(
        () => null,
        (e: { constraint?: string }) => e.constraint,
      );
      expect(error, set).toBe(constraint);
    }
    // an unfinished entry keeps its bytes (a forward: no email, so no stored message, holds them)
    const { domain } = await ownerWithDomain(db).then(async (o) => {
      await db.aether.aliases.add(o.owner.id, { source: `ext@${o.domain.name}`, destinations: ['z@far.test'] });
      return o;
    });
    const { queued } = await db.aether.mail.deliverInbound({
      recipients: [`ext@${domain.name}`],
      message: { from: 'a@outside.test', to: [`ext@${domain.name}`], subject: 'kept', body: 'by its entry' },
    });
    const error = await db
      .sql(`update outbound_message set raw = null, content_hash = null where id = $1`, [queued[0]!.id])
      .then(
        () => null,
        (e: { constraint?: string }) => e.constraint,
      );
    expect(error).toBe('outbound_message_content');
    expect(
      await db.sql('select 1 from outbound_message where id = $1 and raw is not null', [queued[0]!.id]),
    ).toHaveLength(1);
  });
});
