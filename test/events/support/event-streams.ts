/**
 * JetStream for the event tests: a stream of each test's own (unique name and subject prefix, so
 * files run in parallel), read back whole, and deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { EventMessage, EventStreamSettings } from '../../../src/infrastructure/events/event-stream.js';
import { DEFAULT_STREAM } from '../../../src/infrastructure/events/event-stream.js';
import { OutboxRelay, type RelayOptions } from '../../../src/infrastructure/events/outbox-relay.js';
import type { TestDatabase } from '../../support/test-database.js';

export const NATS_URL = 'nats://127.0.0.1:4222';

export function uniqueStream(): EventStreamSettings {
  const tag = randomBytes(5).toString('hex');
  return { ...DEFAULT_STREAM, name: `AETHER_TEST_${tag}`, subjectPrefix: `aethertest${tag}`, maxBytes: 64 * 1024 ** 2 };
}

export interface StoredEvent {
  subject: string;
  /** The stream's sequence: the order JetStream stored it in. */
  seq: number;
  msgId: string | undefined;
  event: EventMessage;
}

/** Every message of the stream, in stream order. */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return [];
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const stored: StoredEvent[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    stored.push({
      subject: m.subject,
      seq: m.seq,
      msgId: m.headers?.get('Nats-Msg-Id'),
      event: m.json<EventMessage>(),
    });
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return stored;
}

export async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

export async function deleteStream(nc: NatsConnection, stream: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => false);
}

export const connectNats = (servers = NATS_URL) => connect({ servers, name: 'aether-event-tests' });

/** An in-process relay on this file's database; the caller stops it. */
export function relayFor(
  db: TestDatabase,
  stream: EventStreamSettings,
  options: Partial<RelayOptions> = {},
): OutboxRelay {
  return new OutboxRelay({
    database: db.settings.direct,
    servers: [NATS_URL],
    stream,
    logger: () => {},
    ...options,
  });
}

/** Polls `check` until it holds (at most `timeoutMs`): waits for a state, asserts nothing about speed. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function outboxCount(db: TestDatabase): Promise<number> {
  const [row] = await db.sql<{ n: string }>('select count(*) as n from outbox_event');
  return Number(row!.n);
}

/** Groups stored events by ordering key (the scope id), each in stream order. */
export function byOrderingKey(stored: StoredEvent[]): Map<string, StoredEvent[]> {
  const keys = new Map<string, StoredEvent[]>();
  for (const s of stored) {
    const key = s.subject.split('.')[3]!;
    keys.set(key, [...(keys.get(key) ?? []), s]);
  }
  return keys;
}
