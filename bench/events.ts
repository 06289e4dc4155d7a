/**
 * The change events' costs (issue #18): what the transactional outbox adds to a single delivery,
 * how fast the relay drains a backlog to the real JetStream, and how long an event takes from its
 * commit to a subscriber of the stream on an idle system. Every result is checked (the events in
 * the outbox, the stream's count, each awaited event by id); the smoke run asserts those checks,
 * never the timings.
 *
 * "Without the outbox" is the same MailService on the same database through a unit of work that
 * drops the events its use case recorded (`createUnitOfWork(…, { writeEvents: false })`): the only
 * difference is the outbox's work — the ordering keys' counter rows, the insert and the NOTIFY.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { recordEvent } from '../src/application/events/outbox.js';
import { OutboxEvent } from '../src/application/events/outbox-event.js';
import { MailService } from '../src/application/mail-service.js';
import type { MessageInput } from '../src/domain/message.js';
import { DEFAULT_STREAM, type EventMessage } from '../src/infrastructure/events/event-stream.js';
import { OutboxRelay } from '../src/infrastructure/events/outbox-relay.js';
import { readModels } from '../src/infrastructure/persistence/read-models/index.js';
import { createUnitOfWork } from '../src/infrastructure/persistence/unit-of-work.js';
import { volumeMailboxAddress } from '../src/seeders/support/volume-layout.js';
import { interleave } from './harness.js';
import { quantile, type Stats, summarize } from './stats.js';
import type { BenchDatabase, Sizes } from './types.js';

export interface EventsResult {
  outbox: {
    description: string;
    with: Stats;
    without: Stats;
    /** with ÷ without, medians. */
    ratio: number;
    /** with − without, medians (ms). */
    costMs: number;
    checked: { with: number; without: number };
  };
  relay: {
    events: number;
    /** Ordering keys (mailboxes) the backlog's events are spread over. */
    keys: number;
    seconds: number;
    eventsPerSecond: number;
  };
  latency: {
    samples: number;
    medianMs: number;
    p95Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  natsServer: string;
  assertionsPassed: boolean;
}

const NATS = (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',');

export async function measureEvents(
  db: BenchDatabase,
  sizes: Sizes,
  log: (line: string) => void,
): Promise<EventsResult> {
  const size = sizes.fixture;
  const { q } = db;
  const mailboxes = await q<{ id: string; address: string; domain_id: string; owner_id: string }>(
    `select a.id, a.address, a.domain_id, d.owner_id from address a join domain d on d.id = a.domain_id
      where a.kind = 'mailbox' order by a.address`,
  );
  const idOf = new Map(mailboxes.map((m) => [m.address, m.id]));

  // ---- the outbox's cost on a single delivery ------------------------------------------------------------
  const recipientOf = (i: number) => volumeMailboxAddress(2 + (i % (size.mailboxes - 2)), size);
  const message = (i: number, side: string): MessageInput => ({
    from: `events${i % 31}@inbound.example`,
    to: [recipientOf(i)],
    subject: `Outbox ${side} ${i}`,
    body: 'a short message, as most are\n',
    messageId: `<outbox-${side}-${i}@inbound.example>`,
  });
  const withOutbox = db.aether.mail;
  const withoutOutbox = new MailService(createUnitOfWork(db.aether.orm, { writeEvents: false }), readModels);
  const eventsOfEmail = async (emailId: string) =>
    (
      await q<{ n: number }>(
        `select count(*)::int as n from outbox_event where kind = 'email.delivered' and data->>'emailId' = $1`,
        [emailId],
      )
    )[0]!.n;
  const verify =
    (expectedEvents: number) => async (report: Awaited<ReturnType<MailService['deliverInbound']>>, i: number) => {
      assert.equal(report.delivered.length, 1);
      const { mailboxId, emailId } = report.delivered[0]!;
      assert.equal(mailboxId, idOf.get(recipientOf(i)));
      assert.equal((await q('select 1 from email where mailbox_id = $1 and id = $2', [mailboxId, emailId])).length, 1);
      assert.equal(await eventsOfEmail(emailId), expectedEvents);
    };
  const { samples, checked } = await interleave(
    [
      [
        'with',
        {
          run: (i) => withOutbox.deliverInbound({ recipients: [recipientOf(i)], message: message(i, 'with') }),
          verify: verify(1),
        },
      ],
      [
        'without',
        {
          run: (i) => withoutOutbox.deliverInbound({ recipients: [recipientOf(i)], message: message(i, 'without') }),
          verify: verify(0),
        },
      ],
    ],
    sizes.events.outbox,
  );
  const withStats = summarize(samples.with);
  const withoutStats = summarize(samples.without);
  log(
    `[bench] outbox on single delivery: with ${withStats.median.toFixed(2)} ms, without ${withoutStats.median.toFixed(2)} ms ` +
      `(+${(withStats.median - withoutStats.median).toFixed(2)} ms)`,
  );

  // ---- the relay: a backlog drained to JetStream, then commit-to-stream latency ------------------------------
  const tag = randomBytes(5).toString('hex');
  const stream = {
    ...DEFAULT_STREAM,
    name: `AETHER_BENCH_${tag}`,
    subjectPrefix: `aetherbench${tag}`,
    maxBytes: 256 * 1024 ** 2,
  };
  const nc = await connect({ servers: NATS, name: 'aether-bench' });
  const jsm = await jetstreamManager(nc);
  let relay: OutboxRelay | null = null;
  try {
    // the backlog: only its events in the outbox, spread over many mailboxes (ordering keys), as a burst would be
    await q('delete from outbox_event');
    const keys = Math.min(100, mailboxes.length);
    const backlog = sizes.events.backlog;
    for (let done = 0; done < backlog;) {
      const n = Math.min(1_000, backlog - done);
      await db.aether.unitOfWork(async (em) => {
        for (let k = 0; k < n; k++) {
          const m = mailboxes[(done + k) % keys]!;
          recordEvent(
            em,
            new OutboxEvent({
              kind: 'mailbox.quota_changed',
              tenantId: m.owner_id,
              domainId: m.domain_id,
              mailboxId: m.id,
              data: { address: m.address, quotaBytes: 1_000_000 + done + k, usedBytes: 0 },
            }),
          );
        }
      });
      done += n;
    }
    assert.equal((await q<{ n: number }>('select count(*)::int as n from outbox_event'))[0]!.n, backlog);
    relay = new OutboxRelay({ database: db.settings.direct, servers: NATS, stream, logger: () => {} });
    const t0 = performance.now();
    void relay.start();
    const deadline = Date.now() + 600_000;
    for (;;) {
      const [{ n }] = (await q<{ n: number }>('select count(*)::int as n from outbox_event')) as [{ n: number }];
      if (n === 0) break;
      assert.ok(Date.now() < deadline, `the relay did not drain ${backlog} events within 10 minutes (${n} left)`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    assert.equal((await jsm.streams.info(stream.name)).state.messages, backlog, 'every event in the stream, once');
    log(
      `[bench] relay: ${backlog} events over ${keys} keys drained in ${seconds.toFixed(2)} s (${Math.round(backlog / seconds)} events/s)`,
    );

    // latency: one delivery at a time on an idle system, from the use case's return (its commit
    // acknowledged) to a core subscriber of the stream's subjects; the email id is known only once the
    // call returns, so an event that arrives earlier is kept until its waiter comes
    const waiting = new Map<string, (at: number) => void>();
    const early = new Map<string, number>();
    const subscription = nc.subscribe(`${stream.subjectPrefix}.*.mailbox.*.email.delivered`, {
      callback: (error, m) => {
        if (error) return;
        const at = performance.now();
        const id = String(m.json<EventMessage>().data.emailId);
        const waiter = waiting.get(id);
        if (waiter) waiter(at);
        else early.set(id, at);
      },
    });
    await nc.flush();
    const latencies: number[] = [];
    try {
      for (let i = 0; i < sizes.events.latency; i++) {
        const report = await withOutbox.deliverInbound({
          recipients: [recipientOf(i)],
          message: message(i, 'latency'),
        });
        const committed = performance.now();
        const emailId = report.delivered[0]!.emailId;
        const at = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the event of ${emailId} not seen within 30 s`)), 30_000);
          const done = (t: number) => {
            clearTimeout(timer);
            waiting.delete(emailId);
            resolve(t);
          };
          const seen = early.get(emailId);
          if (seen !== undefined) done(seen);
          else waiting.set(emailId, done);
        });
        latencies.push(at - committed);
        await new Promise((resolve) => setTimeout(resolve, 20)); // idle between samples
      }
    } finally {
      subscription.unsubscribe();
    }
    assert.equal(latencies.length, sizes.events.latency);
    const sorted = [...latencies].sort((a, b) => a - b);
    const latency = {
      samples: sorted.length,
      medianMs: quantile(sorted, 0.5),
      p95Ms: quantile(sorted, 0.95),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.at(-1)!,
    };
    log(
      `[bench] commit → stream: median ${latency.medianMs.toFixed(2)} ms, p99 ${latency.p99Ms.toFixed(2)} ms (${sorted.length} samples)`,
    );
    return {
      outbox: {
        description:
          'one inbound message per unit of work, with its email.delivered event in the outbox, or without it',
        with: withStats,
        without: withoutStats,
        ratio: withStats.median / withoutStats.median,
        costMs: withStats.median - withoutStats.median,
        checked: { with: checked.with, without: checked.without },
      },
      relay: { events: backlog, keys, seconds, eventsPerSecond: backlog / seconds },
      latency,
      natsServer: nc.info?.version ?? 'unknown',
      assertionsPassed: true,
    };
  } finally {
    await relay?.stop();
    await jsm.streams.delete(stream.name).catch(() => false);
    await nc.close();
  }
}
