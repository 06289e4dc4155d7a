/**
 * Read replicas (`DATABASE_REPLICA_URLS`; CI starts a streaming hot standby with
 * `.ci/replica.sh`): read-only use cases run outside a transaction and are served by a replica,
 * writes run in a transaction on the primary and read their own writes, `aether.primary` reads
 * what was just written, and a replica that goes away costs nothing but a retry on the primary.
 *
 * Run this file on its own with the replica configured: it pauses and stops the standby, which
 * would disturb other files reading from it at the same time.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { User } from '../../src/domain/user.js';
import { withClient } from '../../src/infrastructure/database/admin-client.js';
import { parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain, registerUser } from '../support/world.js';

const replicaUrls = process.env.DATABASE_REPLICA_URLS;
const replica = replicaUrls ? parseDatabaseUrl(replicaUrls.split(',')[0]!.trim(), 'DATABASE_REPLICA_URLS') : undefined;
const script = fileURLToPath(new URL('../../.ci/replica.sh', import.meta.url));
/** Only the standby that `.ci/replica.sh` manages is stopped and started by these tests. */
const managedReplica =
  !!replica &&
  ['127.0.0.1', 'localhost'].includes(replica.host) &&
  replica.port === Number(process.env.REPLICA_PORT ?? 5433);

const READ = / \(via read connection '[^']+'\)$/;
const WRITE = / \(via write connection '[^']+'\)$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!replicaUrls)('read replicas', () => {
  const db = useTestDatabase();

  /** The statements `action` sent, each with the connection it went through. */
  async function traced<T>(action: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    db.queries.length = 0;
    const result = await action();
    return { result, statements: [...db.queries] };
  }

  /** Polls a read until `accept` says yes; bounded (replication is asynchronous, but fast). */
  async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, ms = 5_000) {
    const started = Date.now();
    let last: T | undefined;
    let failure: unknown;
    while (Date.now() - started < ms) {
      try {
        last = await read();
        failure = undefined;
        if (accept(last)) return { value: last, waitedMs: Date.now() - started };
      } catch (error) {
        failure = error; // e.g. NOT_FOUND while the replica has not replayed the row yet
      }
      await sleep(20);
    }
    throw new Error(`not visible within ${ms} ms (last: ${JSON.stringify(last)}, error: ${String(failure)})`);
  }

  /** Waits until the replica serves `read` by itself (row replayed, read connection used). */
  async function onReplica<T>(read: () => Promise<T>, accept: (value: T) => boolean = () => true) {
    return eventually(
      () => traced(read),
      ({ result, statements }) => accept(result) && statements.length > 0 && statements.every((s) => READ.test(s)),
    );
  }

  /** A superuser session on the standby itself, for what the application role may not do. */
  async function onStandby<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    return withClient({ host: replica!.host, port: replica!.port, user: 'postgres', database: 'postgres' }, work);
  }

  async function world() {
    const { owner, domain } = await ownerWithDomain(db, {
      name: `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.org`,
    });
    const box = await db.aether.mailboxes.create(owner.id, { address: `inbox@${domain.name}` });
    await db.aether.aliases.add(owner.id, { source: `alias@${domain.name}`, destinations: [box.address] });
    await db.aether.mail.deliverMany(box.address, [message({ subject: 'one' }), message({ subject: 'two' })]);
    const inbox = (await db.aether.primary.mailboxes.get(owner.id, box.id)).folders!.find((f) => f.role === 'inbox')!;
    return { owner, domain, box, inbox };
  }

  it('a read connection is a hot standby; the write connection is the primary', async () => {
    const em = db.aether.orm.em.fork();
    // (this file's database was just created on the primary; the standby replays that too)
    const {
      value: [read],
    } = await eventually(
      () =>
        em
          .getConnection('read')
          .execute<{ r: boolean; port: number }[]>('select pg_is_in_recovery() as r, inet_server_port() as port'),
      () => true,
    );
    const [write] = await em
      .getConnection('write')
      .execute<{ r: boolean; port: number }[]>('select pg_is_in_recovery() as r, inet_server_port() as port');
    expect(read).toEqual({ r: true, port: replica!.port });
    expect(write!.r).toBe(false);
    expect(db.settings.replicas.map((r) => [r.host, r.port, r.database])).toEqual([
      [replica!.host, replica!.port, db.settings.direct.database],
    ]);
  });

  it('every read-only use case is served by the replica, outside a transaction', async () => {
    const { owner, domain, box, inbox } = await world();
    // the last write of world() has reached the replica
    await onReplica(
      () => db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id }),
      (page) => page.items.length === 2,
    );
    const reads: [string, () => Promise<unknown>][] = [
      ['users.get', () => db.aether.users.get(owner.id, { withDomains: true })],
      ['users.findByEmail', () => db.aether.users.findByEmail(owner.email)],
      ['users.findOwnersByDomainSuffix', () => db.aether.users.findOwnersByDomainSuffix(domain.name)],
      ['domains.get', () => db.aether.domains.get(owner.id, domain.id)],
      ['domains.list', () => db.aether.domains.list(owner.id)],
      ['mailboxes.get', () => db.aether.mailboxes.get(owner.id, box.id)],
      ['mailboxes.list', () => db.aether.mailboxes.list(owner.id, domain.id)],
      ['aliases.list', () => db.aether.aliases.list(owner.id, domain.id)],
      ['mail.listFolderPage', () => db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id })],
      ['statistics.forUser', () => db.aether.statistics.forUser(owner.id)],
      ['statistics.forMailbox', () => db.aether.statistics.forMailbox(owner.id, box.id)],
      ['statistics.emailCountsPerUser', () => db.aether.statistics.emailCountsPerUser()],
    ];
    for (const [name, read] of reads) {
      const { statements } = await traced(read);
      expect(statements.length, name).toBeGreaterThan(0);
      expect(
        statements.filter((s) => !READ.test(s)),
        name,
      ).toEqual([]);
      expect(
        statements.filter((s) => /^(begin|commit|rollback)\b/i.test(s)),
        name,
      ).toEqual([]);
    }
    // and they return what the primary holds
    expect((await db.aether.users.findOwnersByDomainSuffix(domain.name)).map((u) => u.id)).toEqual([owner.id]);
    expect((await db.aether.statistics.forUser(owner.id)).emails).toBe(2);
  });

  it('writes run in one transaction on the primary', async () => {
    const { owner, box } = await world();
    const writes: [string, () => Promise<unknown>][] = [
      ['users.rename', () => db.aether.users.rename(owner.id, 'Renamed')],
      ['mailboxes.changeQuota', () => db.aether.mailboxes.changeQuota(owner.id, box.id, 10_000_000)],
      ['mail.deliverInbound', () => db.aether.mail.deliverInbound({ recipients: [box.address], message: message() })],
      ['users.register', () => registerUser(db)],
    ];
    for (const [name, write] of writes) {
      const { statements } = await traced(write);
      expect(
        statements.filter((s) => !WRITE.test(s)),
        name,
      ).toEqual([]);
      expect(statements[0], name).toMatch(/^begin\b/i);
      expect(statements.at(-1), name).toMatch(/^commit\b/i);
    }
    expect(await db.sql('select name from "user" where id = $1', [owner.id])).toEqual([{ name: 'Renamed' }]);
  });

  it('a unit of work reads its own writes (on the primary, inside its transaction)', async () => {
    const user = await registerUser(db);
    const { result, statements } = await traced(() =>
      db.aether.unitOfWork(async (em) => {
        await em.nativeUpdate(User, { id: user.id }, { name: 'Written just now' });
        const seen = await em.count(User, { id: user.id, name: 'Written just now' });
        const [row] = await em.execute<{ r: boolean }[]>('select pg_is_in_recovery() as r');
        return { seen, inRecovery: row!.r };
      }),
    );
    expect(result).toEqual({ seen: 1, inRecovery: false });
    expect(statements.filter((s) => !WRITE.test(s))).toEqual([]);
    expect(await db.sql('select name from "user" where id = $1', [user.id])).toEqual([{ name: 'Written just now' }]);
  });

  it('a write becomes visible on the replica shortly after it commits', async () => {
    const email = `late-${Date.now()}@people.test`;
    const user = await registerUser(db, email);
    const { value, waitedMs } = await onReplica(
      () => db.aether.users.findByEmail(email),
      (found) => found !== null,
    );
    expect(value.result!.id).toBe(user.id);
    expect(waitedMs).toBeLessThan(5_000);
  });

  it('aether.primary reads a just-written email at once, even while the replica lags behind', async () => {
    const { owner, box, inbox } = await world();
    await onReplica(
      () => db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id }),
      (page) => page.items.length === 2,
    );
    const list = (on: typeof db.aether | typeof db.aether.primary) =>
      on.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id });

    // hold the standby's replay so that the lag is certain, not a race we might win
    let emailId: string;
    try {
      const state = await onStandby(async (c) => {
        await c.query('select pg_wal_replay_pause()');
        let current = '';
        for (let i = 0; i < 250 && current !== 'paused'; i++) {
          if (i > 0) await sleep(20);
          current = (await c.query<{ s: string }>('select pg_get_wal_replay_pause_state() as s')).rows[0]!.s;
        }
        return current;
      });
      expect(state).toBe('paused');
      const { delivered } = await db.aether.mail.deliverInbound({
        recipients: [box.address],
        message: message({ subject: 'fresh' }),
      });
      emailId = delivered[0]!.emailId;
      const fromPrimary = await traced(() => list(db.aether.primary));
      expect(fromPrimary.result.items.map((e) => e.id)).toContain(emailId);
      expect(fromPrimary.statements.filter((s) => !WRITE.test(s))).toEqual([]);
      const fromReplica = await traced(() => list(db.aether));
      expect(fromReplica.statements.filter((s) => !READ.test(s))).toEqual([]);
      expect(fromReplica.result.items.map((e) => e.id)).not.toContain(emailId); // not replayed yet
    } finally {
      await onStandby((c) => c.query('select pg_wal_replay_resume()'));
    }
    // once replay resumes, the replica catches up
    await onReplica(
      () => list(db.aether),
      (page) => page.items.some((e) => e.id === emailId),
    );
  });

  // keep last: it stops the standby and starts it again
  describe('when the replica is down', () => {
    const control = (command: 'start' | 'stop') => promisify(execFile)('bash', [script, command], { timeout: 90_000 });
    let stopped = false;
    afterAll(async () => {
      if (stopped) await control('start');
    });

    it.skipIf(!managedReplica)(
      'read-only use cases fall back to the primary, and return to the replica once it is back',
      async () => {
        const { owner, box, inbox } = await world();
        await onReplica(
          () => db.aether.statistics.forMailbox(owner.id, box.id),
          (s) => s.folders.length === 6,
        );

        stopped = true;
        await control('stop');
        try {
          const reads: (() => Promise<unknown>)[] = [
            () => db.aether.users.get(owner.id, { withDomains: true }),
            () => db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id }),
            () => db.aether.statistics.forMailbox(owner.id, box.id),
          ];
          for (const read of reads) {
            const { result, statements } = await traced(read);
            expect(result).toBeTruthy();
            expect(statements.length).toBeGreaterThan(0);
            // one attempt on the replica, which fails (logged without a result count) …
            const onRead = statements.filter((s) => READ.test(s));
            expect(onRead.length).toBeLessThanOrEqual(1);
            for (const attempt of onRead) expect(attempt).not.toMatch(/\d+ results?\]/);
            // … then the whole use case again on the primary, in a transaction
            const onWrite = statements.filter((s) => WRITE.test(s));
            expect(onWrite.length).toBe(statements.length - onRead.length);
            expect(onWrite[0]).toMatch(/^begin\b/i);
            expect(onWrite.at(-1)).toMatch(/^commit\b/i);
          }
          const page = await db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: inbox.id });
          expect(page.items).toHaveLength(2);
          // writes never needed the replica
          await db.aether.users.rename(owner.id, 'Still writing');
        } finally {
          await control('start');
          stopped = false;
        }
        // the pool reconnects to the standby by itself
        const back = await onReplica(
          () => db.aether.users.get(owner.id),
          (u) => u.name === 'Still writing',
        );
        expect(back.value.result.name).toBe('Still writing');
      },
    );
  });
});
