/**
 * The relay against the real NATS JetStream on 127.0.0.1:4222: every committed event reaches the
 * stream exactly once, in commit order per ordering key; nothing of a rolled-back unit of work
 * does; two relays at once keep both properties. Each test has a stream of its own, deleted after.
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventStreamSettings } from '../../src/infrastructure/events/event-stream.js';
import type { OutboxRelay } from '../../src/infrastructure/events/outbox-relay.js';
import { outcome } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain } from '../support/world.js';
import {
  byOrderingKey,
  connectNats,
  deleteStream,
  eventually,
  outboxCount,
  readStream,
  relayFor,
  streamCount,
  uniqueStream,
} from './support/event-streams.js';

const db = useTestDatabase();
let nc: NatsConnection;
const streams: EventStreamSettings[] = [];
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  nc = await connectNats();
});
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  for (const s of streams.splice(0)) await deleteStream(nc, s.name);
  await db.sql('delete from outbox_event');
});
afterAll(async () => {
  await nc?.close();
});

function newStream(): EventStreamSettings {
  const stream = uniqueStream();
  streams.push(stream);
  return stream;
}

function startRelay(stream: EventStreamSettings, options: Parameters<typeof relayFor>[2] = {}): OutboxRelay {
  const relay = relayFor(db, stream, options);
  relays.push(relay);
  void relay.start();
  return relay;
}

/** A mixed workload: domains, mailboxes, suspensions, quota changes, a deletion; some of it concurrent. */
async function mixedWorkload(): Promise<void> {
  const owners = await Promise.all([1, 2, 3].map(() => ownerWithDomain(db)));
  await Promise.all(
    owners.map(async ({ owner, domain }) => {
      const mailboxes = await Promise.all(
        ['a', 'b', 'c'].map((l) => db.aether.mailboxes.create(owner.id, { address: `${l}@${domain.name}` })),
      );
      await Promise.all(
        mailboxes.flatMap((m, i) => [
          outcome(db.aether.mailboxes.changeQuota(owner.id, m.id, (i + 2) * 1_000_000)),
          outcome(db.aether.mailboxes.suspend(owner.id, m.id)),
          outcome(db.aether.mailboxes.changeQuota(owner.id, m.id, (i + 3) * 1_000_000)),
        ]),
      );
      await db.aether.domains.changeLimits(owner.id, domain.id, { maxAliases: 9 });
      await db.aether.mailboxes.delete(owner.id, mailboxes[2]!.id);
    }),
  );
}

describe('the outbox relay', () => {
  it('publishes every event of a mixed workload exactly once, in commit order per key, and empties the outbox', async () => {
    await mixedWorkload();
    const expected = await db.sql<{ id: string; ordering_key: string }>(
      'select id, ordering_key from outbox_event order by ordering_key, position',
    );
    expect(expected.length).toBeGreaterThan(40);
    const stream = newStream();
    startRelay(stream, { batchSize: 7 }); // small batches: many rounds, keys spread over them
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to empty');

    const stored = await readStream(nc, stream.name);
    expect(stored.map((s) => s.event.id).sort()).toEqual(expected.map((e) => e.id).sort());
    for (const s of stored) expect(s.msgId).toBe(s.event.id);
    // per key, the stream's order is the outbox's position order, which is commit order
    const expectedByKey = new Map<string, string[]>();
    for (const e of expected) expectedByKey.set(e.ordering_key, [...(expectedByKey.get(e.ordering_key) ?? []), e.id]);
    for (const [key, events] of byOrderingKey(stored)) {
      expect(events.map((e) => e.event.id)).toEqual(expectedByKey.get(key));
    }
    // the subjects say tenant, scope, scope id and kind
    const created = stored.find((s) => s.event.kind === 'mailbox.created')!;
    expect(created.subject).toBe(
      `${stream.subjectPrefix}.${created.event.tenantId}.mailbox.${created.event.mailboxId}.mailbox.created`,
    );
  });

  it('publishes each key in position order even where its events’ times disagree (a later unit of work committed first)', async () => {
    // 12 user keys with 3 events each; every key's second event carries the earliest time, as when
    // a unit of work that began later took the key's counter first. Batches of 5 cut keys in two.
    const users = Array.from({ length: 12 }, () => crypto.randomUUID());
    const expected = new Map<string, string[]>();
    for (const user of users) {
      const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      expected.set(user, ids);
      await db.sql(
        `insert into outbox_event (ordering_key, id, position, kind, scope, tenant_id, data, occurred_at)
         select $1, id, position, 'user.suspended', 'user', $1, '{}', now() + (at || ' seconds')::interval
         from unnest($2::uuid[], array[1, 2, 3], array[5, -5, 6]) as e(id, position, at)`,
        [user, ids],
      );
    }
    const stream = newStream();
    startRelay(stream, { batchSize: 5 });
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to empty');
    const stored = byOrderingKey(await readStream(nc, stream.name));
    expect(stored.size).toBe(users.length);
    for (const [key, events] of stored) expect(events.map((e) => e.event.id)).toEqual(expected.get(key));
  });

  it('starts each round from the oldest waiting event, whatever its key sorts as', async () => {
    // two keys whose events alternate in time; the older key sorts last. Batches of 2: the first
    // round is the two oldest events (one of each key), not the first key's two
    const older = `ffffffff-${crypto.randomUUID().slice(9)}`;
    const newer = `00000000-${crypto.randomUUID().slice(9)}`;
    const ids = new Map<string, string>();
    for (const [key, position, at] of [
      [older, 1, -40],
      [newer, 1, -30],
      [older, 2, -20],
      [newer, 2, -10],
    ] as const) {
      const id = crypto.randomUUID();
      ids.set(id, `${key === older ? 'older' : 'newer'} ${position}`);
      await db.sql(
        `insert into outbox_event (ordering_key, id, position, kind, scope, tenant_id, data, occurred_at)
         values ($1, $2, $3, 'user.suspended', 'user', $1, '{}', now() + ($4 || ' seconds')::interval)`,
        [key, id, position, at],
      );
    }
    const stream = newStream();
    startRelay(stream, { batchSize: 2 });
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to empty');
    const stored = (await readStream(nc, stream.name)).sort((a, b) => a.seq - b.seq);
    const rounds = stored.map((s) => ids.get(s.event.id));
    // within a round the keys go out side by side; across rounds, oldest first
    expect(new Set(rounds.slice(0, 2))).toEqual(new Set(['older 1', 'newer 1']));
    expect(new Set(rounds.slice(2))).toEqual(new Set(['older 2', 'newer 2']));
  });

  it('is woken by the commit (no poll in this test): chains of changes arrive in order, none of a refused one', async () => {
    const stream = newStream();
    const relay = startRelay(stream, { pollIntervalMs: 3_600_000 });
    await eventually(async () => relay.isLeader, 'the relay to lead');
    const { owner, domain } = await ownerWithDomain(db);
    const mailboxes = await Promise.all(
      ['x', 'y', 'z'].map((l) => db.aether.mailboxes.create(owner.id, { address: `${l}@${domain.name}` })),
    );
    const steps = 8;
    await Promise.all(
      mailboxes.map(async (m) => {
        for (let i = 1; i <= steps; i++) await db.aether.mailboxes.changeQuota(owner.id, m.id, i * 1_000_000);
      }),
    );
    // refused: rolled back, so nothing of it may reach the stream (the relay drains the outbox
    // first, so the row digest of the refusal sees no publishing going on beside it)
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to drain');
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `X@${domain.name}` }),
    );
    // the last event committed: once it is in the stream, all before it are
    await db.aether.domains.suspend(owner.id, domain.id);
    await eventually(
      async () => (await readStream(nc, stream.name)).some((s) => s.event.kind === 'domain.suspended'),
      'the last event to arrive',
    );
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to empty');

    const stored = await readStream(nc, stream.name);
    expect(new Set(stored.map((s) => s.event.id)).size).toBe(stored.length);
    const perKey = byOrderingKey(stored);
    for (const m of mailboxes) {
      const events = perKey.get(m.id)!;
      expect(events.map((e) => e.event.kind)).toEqual([
        'mailbox.created',
        ...Array(steps).fill('mailbox.quota_changed'),
      ]);
      expect(events.slice(1).map((e) => e.event.data.quotaBytes)).toEqual(
        Array.from({ length: steps }, (_, i) => (i + 1) * 1_000_000),
      );
    }
    expect(stored.filter((s) => s.event.kind === 'mailbox.created')).toHaveLength(3);
    expect(await streamCount(nc, stream.name)).toBe(stored.length);
  });

  it('two relays at once: one leads, the other takes over when it stops; per-key order kept, no duplicates', async () => {
    const stream = newStream();
    const first = startRelay(stream, { batchSize: 5 });
    const second = startRelay(stream, { batchSize: 5 });
    await eventually(async () => first.isLeader || second.isLeader, 'one relay to lead');
    expect(first.isLeader && second.isLeader).toBe(false);
    const { owner, domain } = await ownerWithDomain(db);
    const mailboxes = await Promise.all(
      ['p', 'q'].map((l) => db.aether.mailboxes.create(owner.id, { address: `${l}@${domain.name}` })),
    );
    const steps = 30;
    const chains = Promise.all(
      mailboxes.map(async (m) => {
        for (let i = 1; i <= steps; i++) await db.aether.mailboxes.changeQuota(owner.id, m.id, i * 1_000_000);
      }),
    );
    // half-way, the leader goes; the standby must take over
    await eventually(async () => (await streamCount(nc, stream.name)) >= 10, 'some events to arrive');
    const [leader, standby] = first.isLeader ? [first, second] : [second, first];
    await leader.stop();
    await chains;
    await eventually(async () => standby.isLeader, 'the standby to take over');
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to empty');
    expect(standby.published).toBeGreaterThan(0);

    const stored = await readStream(nc, stream.name);
    expect(new Set(stored.map((s) => s.event.id)).size).toBe(stored.length);
    const perKey = byOrderingKey(stored);
    for (const m of mailboxes) {
      const quotas = perKey
        .get(m.id)!
        .filter((e) => e.event.kind === 'mailbox.quota_changed')
        .map((e) => e.event.data.quotaBytes);
      expect(quotas).toEqual(Array.from({ length: steps }, (_, i) => (i + 1) * 1_000_000));
    }
  });

  it("a durable consumer as the README's Events section makes one receives what its filter selects, acknowledged", async () => {
    const stream = newStream();
    startRelay(stream);
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `feed@${domain.name}` });
    await db.aether.mailboxes.suspend(owner.id, mailbox.id);
    await eventually(async () => (await outboxCount(db)) === 0, 'the outbox to empty');

    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(stream.name, {
      durable_name: 'mailbox-watcher',
      filter_subject: `${stream.subjectPrefix}.*.mailbox.*.mailbox.>`,
      ack_policy: AckPolicy.Explicit,
    });
    const consumer = await jetstream(nc).consumers.get(stream.name, 'mailbox-watcher');
    const kinds: string[] = [];
    const messages = await consumer.consume();
    for await (const m of messages) {
      const event = m.json<{ kind: string; mailboxId: string }>();
      expect(event.mailboxId).toBe(mailbox.id);
      kinds.push(event.kind);
      m.ack();
      if (m.info.pending === 0) break;
    }
    await messages.close();
    expect(kinds).toEqual(['mailbox.created', 'mailbox.suspended']);
    await eventually(
      async () => (await jsm.consumers.info(stream.name, 'mailbox-watcher')).num_ack_pending === 0,
      'the acknowledgements to land',
    );
  });
});
