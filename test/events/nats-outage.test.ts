/**
 * NATS stopped for a while and started again: the events committed meanwhile wait in the outbox,
 * then all arrive, once each and in order. Runs a private `nats-server` (Debian's) on a free
 * loopback port with a store directory of its own, so stopping it disturbs no other test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain } from '../support/world.js';
import {
  byOrderingKey,
  connectNats,
  eventually,
  outboxCount,
  readStream,
  relayFor,
  uniqueStream,
} from './support/event-streams.js';

const db = useTestDatabase();
const stream = uniqueStream();
let port: number;
let storeDir: string;
let server: ChildProcess | null = null;

function startNats(): ChildProcess {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: 'ignore',
  });
  server = child;
  return child;
}

async function stopNats(): Promise<void> {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const answers = () =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

beforeAll(async () => {
  port = await getPort({ host: '127.0.0.1' });
  storeDir = await mkdtemp(join(tmpdir(), 'aether-nats-'));
  startNats();
  await eventually(answers, `nats-server on 127.0.0.1:${port}`, 20_000);
});
afterAll(async () => {
  await stopNats();
  await rm(storeDir, { recursive: true, force: true });
});

describe('NATS stopped while units of work commit events', () => {
  it('keeps them in the outbox, then publishes them all, once each and in order, when NATS is back', async () => {
    const url = `nats://127.0.0.1:${port}`;
    const log: string[] = [];
    const relay = relayFor(db, stream, {
      servers: [url],
      retryDelayMs: 200,
      publishTimeoutMs: 1_000,
      logger: (line) => log.push(line),
    });
    void relay.start();
    try {
      const { owner, domain } = await ownerWithDomain(db);
      const mailbox = await db.aether.mailboxes.create(owner.id, { address: `wait@${domain.name}` });
      await eventually(async () => (await outboxCount(db)) === 0, 'the first events to be published');

      await stopNats();
      const steps = 20;
      for (let i = 1; i <= steps; i++) await db.aether.mailboxes.changeQuota(owner.id, mailbox.id, i * 1_000_000);
      await db.aether.mailboxes.suspend(owner.id, mailbox.id);
      // NATS is down: nothing can have been acknowledged, so every event is still in the outbox
      expect(await outboxCount(db)).toBe(steps + 1);
      expect(await answers()).toBe(false);
      // the relay tried meanwhile (woken by the commits) and keeps trying
      await eventually(async () => log.some((l) => l.startsWith('publishing failed')), 'a failed publication');
      expect(await outboxCount(db)).toBe(steps + 1);

      startNats();
      await eventually(async () => (await outboxCount(db)) === 0, 'the waiting events to be published');

      const nc: NatsConnection = await connectNats(url);
      try {
        const stored = await readStream(nc, stream.name);
        expect(new Set(stored.map((s) => s.event.id)).size).toBe(stored.length);
        const events = byOrderingKey(stored).get(mailbox.id)!;
        expect(events.map((e) => e.event.kind)).toEqual([
          'mailbox.created',
          ...Array(steps).fill('mailbox.quota_changed'),
          'mailbox.suspended',
        ]);
        expect(events.slice(1, -1).map((e) => e.event.data.quotaBytes)).toEqual(
          Array.from({ length: steps }, (_, i) => (i + 1) * 1_000_000),
        );
      } finally {
        await nc.close();
      }
    } finally {
      await relay.stop();
    }
  });
});
