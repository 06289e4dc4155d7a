/**
 * The LMTP agent as an MTA talks to it (RFC 2033), through a raw socket: one reply per accepted
 * RCPT after DATA (repeats included), refusals per recipient with the domain error's code, SIZE,
 * the recipient limit, exactly-once storage when the final reply is lost, 451 (never 5xx) when the
 * database cannot take the message, and a stop that finishes deliveries in flight. Every test
 * checks the rows afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAether } from '../../src/infrastructure/aether.js';
import { type RunningLmtpAgent, startLmtpAgent } from '../../src/infrastructure/mail/lmtp/lmtp-agent.js';
import { createServer, connect, type Socket } from 'node:net';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { LmtpClient } from '../support/lmtp-client.js';
import { fastHasher, useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();
let agent: RunningLmtpAgent;

const start = (options: { maxMessageBytes?: number; maxRecipients?: number } = {}) =>
  startLmtpAgent({
    deliverEach: (input) => db.aether.mail.deliverEach(input),
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
    maxRecipients: options.maxRecipients ?? 1000,
  });

beforeAll(async () => {
  agent = await start();
});
afterAll(async () => {
  await agent?.stop();
});

let n = 0;
const rawMessage = (size = 0) =>
  Buffer.from(
    [
      'From: <sender@outside.test>',
      'To: <someone@example.test>',
      `Subject: lmtp agent ${n}`,
      `Message-ID: <agent.${n++}.${process.pid}@outside.test>`,
      '',
      '.a line that starts with a dot',
      'x'.repeat(size),
      '',
    ].join('\r\n'),
  );

const copies = async (mailboxId: string) =>
  (await db.sql<{ n: number }>('select count(*)::int as n from email where mailbox_id = $1', [mailboxId]))[0]!.n;

async function transaction(client: LmtpClient, recipients: string[]) {
  expect((await client.command('LHLO client.test')).code).toBe(250);
  expect((await client.command('MAIL FROM:<sender@outside.test>')).code).toBe(250);
  return Promise.all(recipients.map(async (r) => (await client.command(`RCPT TO:<${r}>`)).code));
}

async function world() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
  const other = await db.aether.mailboxes.create(owner.id, { address: `other@${domain.name}` });
  const full = await db.aether.mailboxes.create(owner.id, { address: `full@${domain.name}`, quotaBytes: 10 });
  return { owner, domain, box, other, full };
}

describe('the LMTP agent', () => {
  it('answers every RCPT after DATA, repeats included, each with its own outcome', async () => {
    const { domain, box, other, full } = await world();
    const client = await LmtpClient.open(agent.port);
    const recipients = [box.address, box.address, other.address, full.address, `nobody@${domain.name}`];
    expect(await transaction(client, recipients)).toEqual([250, 250, 250, 250, 250]);
    const replies = await client.data(rawMessage(), recipients.length);
    client.close();
    expect(replies.map((r) => r.code)).toEqual([250, 250, 250, 552, 550]);
    expect(replies[3]!.text).toContain('QUOTA_EXCEEDED');
    expect(replies[4]!.text).toMatch(/^5\.1\.1 .*NO_SUCH_RECIPIENT/);
    expect([await copies(box.id), await copies(other.id), await copies(full.id)]).toEqual([1, 1, 0]);
  });

  it('a lost final reply, then the retry: the retry is answered 250 and nothing is stored twice', async () => {
    const { box } = await world();
    const raw = rawMessage();
    const first = await LmtpClient.open(agent.port);
    await transaction(first, [box.address]);
    expect((await first.command('DATA')).code).toBe(354);
    // the message and its final dot, then the connection drops before the reply is read
    (first as unknown as { socket: import('node:net').Socket }).socket.end(`${raw.toString('latin1')}.\r\n`);
    for (let i = 0; i < 500 && (await copies(box.id)) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await copies(box.id)).toBe(1);
    const retry = await LmtpClient.open(agent.port);
    await transaction(retry, [box.address]);
    const replies = await retry.data(raw, 1);
    retry.close();
    expect(replies.map((r) => r.code)).toEqual([250]);
    expect(await copies(box.id)).toBe(1);
  });

  it('announces SIZE and refuses a larger message for every recipient; nothing is stored', async () => {
    const small = await start({ maxMessageBytes: 2000 });
    try {
      const { box } = await world();
      const client = await LmtpClient.open(small.port);
      const lhlo = await client.command('LHLO client.test');
      expect(lhlo.text).toContain('SIZE 2000');
      expect((await client.command('MAIL FROM:<sender@outside.test>')).code).toBe(250);
      expect((await client.command(`RCPT TO:<${box.address}>`)).code).toBe(250);
      expect((await client.command(`RCPT TO:<${box.address}>`)).code).toBe(250);
      const replies = await client.data(rawMessage(5000), 2);
      client.close();
      expect(replies.map((r) => r.code)).toEqual([552, 552]);
      expect(await copies(box.id)).toBe(0);
    } finally {
      await small.stop();
    }
  });

  it('answers 452 past the recipient limit, and the accepted ones still get their message', async () => {
    const few = await start({ maxRecipients: 2 });
    try {
      const { box, other } = await world();
      const client = await LmtpClient.open(few.port);
      expect(await transaction(client, [box.address, other.address, box.address])).toEqual([250, 250, 452]);
      const replies = await client.data(rawMessage(), 2);
      client.close();
      expect(replies.map((r) => r.code)).toEqual([250, 250]);
      expect([await copies(box.id), await copies(other.id)]).toEqual([1, 1]);
    } finally {
      await few.stop();
    }
  });

  it('answers 451 (try again later), never 5xx, when the database cannot take the message', async () => {
    const { box } = await world();
    // the application reaches PostgreSQL through a proxy the test then cuts: an outage mid-service
    const proxy = await cuttableProxy(db.settings.direct.host, db.settings.direct.port);
    const gone = await openAether({
      settings: { ...db.settings, application: { ...db.settings.application, port: proxy.port } },
      passwordHasher: fastHasher,
      logger: () => {},
    });
    await proxy.cut();
    const broken = await startLmtpAgent({
      deliverEach: (input) => gone.mail.deliverEach(input),
      maxMessageBytes: 1024 * 1024,
      maxRecipients: 10,
    });
    try {
      const client = await LmtpClient.open(broken.port);
      await transaction(client, [box.address, box.address]);
      const replies = await client.data(rawMessage(), 2);
      client.close();
      expect(replies.map((r) => r.code)).toEqual([451, 451]);
      expect(await copies(box.id)).toBe(0);
    } finally {
      await broken.stop();
      await gone.close();
    }
  });

  it('stop() lets a delivery in flight finish and answer, and takes no new connection', async () => {
    const stopping = await start();
    const { box } = await world();
    // the delivery waits on the mailbox's row lock, held by the test
    const held = await hold(db, [['select 1 from address where id = $1 for update', [box.id]]]);
    const client = await LmtpClient.open(stopping.port);
    await transaction(client, [box.address]);
    const replies = client.data(rawMessage(), 1);
    await waitForLockWaiters(db, 1);
    const stopped = stopping.stop();
    await expect(LmtpClient.open(stopping.port)).rejects.toThrow();
    await held.commit();
    expect((await replies).map((r) => r.code)).toEqual([250]);
    await stopped;
    expect(await copies(box.id)).toBe(1);
  });
});

/** A TCP proxy to the database that can be cut: its port then refuses connections and open ones drop. */
async function cuttableProxy(host: string, port: number) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    port: address.port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
