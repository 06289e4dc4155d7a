/**
 * The relay killed (SIGKILL) at random points while it works through a backlog of 10,000 events,
 * then started again: every event reaches the stream exactly once, in order per key. An event
 * published but not yet removed when the relay died is published again and dropped by JetStream
 * as a duplicate (same message id within the duplicate window).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMailboxEvent } from '../../src/application/events/outbox.js';
import { Mailbox } from '../../src/domain/mailbox.js';
import { useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain } from '../support/world.js';
import {
  byOrderingKey,
  connectNats,
  deleteStream,
  eventually,
  NATS_URL,
  outboxCount,
  readStream,
  streamCount,
  uniqueStream,
} from './support/event-streams.js';
import { type RelayProcess, spawnRelay } from './support/relay-process.js';

const db = useTestDatabase();
const stream = uniqueStream();
let nc: NatsConnection;
// killed before the stream is deleted, even when the test fails, so no relay outlives it to recreate the stream
const spawned: RelayProcess[] = [];
const spawnTracked = (...args: Parameters<typeof spawnRelay>) => {
  const relay = spawnRelay(...args);
  spawned.push(relay);
  return relay;
};

beforeAll(async () => {
  nc = await connectNats();
});
afterAll(async () => {
  await Promise.all(spawned.map((r) => r.kill('SIGKILL')));
  await deleteStream(nc, stream.name);
  await nc?.close();
});

const EVENTS = 10_000;
const MAILBOXES = 10;
const KILLS = 4;
// generous: the whole suite runs beside it on two cores, and each relay starts a TypeScript loader
const WAIT_MS = 180_000;

describe('a relay killed at random points of a 10,000-event backlog', () => {
  it('loses no event and duplicates none in the stream', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailboxIds: string[] = [];
    for (let i = 0; i < MAILBOXES; i++) {
      mailboxIds.push((await db.aether.mailboxes.create(owner.id, { address: `m${i}@${domain.name}` })).id);
    }
    await db.sql('delete from outbox_event');
    // the backlog: numbered events over the mailboxes, in units of work of 2,000 (the outbox writer's own path)
    for (let start = 0; start < EVENTS; start += 2_000) {
      await db.aether.unitOfWork(async (em) => {
        const mailboxes = await em.find(Mailbox, { id: { $in: mailboxIds } }, { populate: ['domain'] });
        for (let n = start; n < start + 2_000; n++) {
          recordMailboxEvent(em, 'mailbox.quota_changed', mailboxes[n % MAILBOXES]!, { n });
        }
      });
    }
    expect(await outboxCount(db)).toBe(EVENTS);

    let killed = 0;
    for (let k = 1; k <= KILLS; k++) {
      const relay = spawnTracked(db, stream, { natsUrl: NATS_URL, batchSize: 100 + Math.floor(Math.random() * 200) });
      // somewhere in the k-th fifth of the backlog
      const point = Math.floor(((k - 1 + Math.random()) * EVENTS) / (KILLS + 1));
      await eventually(
        async () => (await streamCount(nc, stream.name).catch(() => 0)) >= point,
        `the relay to publish ${point} events (${relay.output()})`,
        WAIT_MS,
      );
      await relay.kill('SIGKILL');
      killed++;
    }
    expect(killed).toBe(KILLS);
    expect(await outboxCount(db)).toBeGreaterThan(0);

    const last = spawnTracked(db, stream, { natsUrl: NATS_URL });
    await eventually(async () => (await outboxCount(db)) === 0, `the outbox to empty (${last.output()})`, WAIT_MS);
    await last.kill('SIGTERM');
    expect(last.child.exitCode).toBe(0);

    const stored = await readStream(nc, stream.name);
    expect(stored).toHaveLength(EVENTS);
    expect(new Set(stored.map((s) => s.event.id)).size).toBe(EVENTS);
    expect(stored.map((s) => s.event.data.n as number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: EVENTS }, (_, n) => n),
    );
    for (const [key, events] of byOrderingKey(stored)) {
      const numbers = events.map((e) => e.event.data.n as number);
      expect(numbers, key).toEqual([...numbers].sort((a, b) => a - b));
      expect(numbers).toHaveLength(EVENTS / MAILBOXES);
    }
  }, 600_000);
});
