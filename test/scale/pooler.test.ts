/**
 * Behind PgBouncer in transaction mode (`DATABASE_URL_POOLER`; CI starts it with
 * `.ci/pgbouncer.sh`): application traffic really goes through the pooler, many more units of
 * work than server connections run at once, and nothing depends on session state — a server
 * connection serves one client's transaction, then another's.
 */
import { describe, expect, inject, it } from 'vitest';
import { Email } from '../../src/domain/email.js';
import { Mailbox } from '../../src/domain/mailbox.js';
import { withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import { parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { APPLICATION_ROLE } from '../support/databases.js';
import { mailboxLedger } from '../support/ledger.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain, registerUser } from '../support/world.js';

const poolerUrl = process.env.DATABASE_URL_POOLER;

/** Runs a command on PgBouncer's admin console (the virtual `pgbouncer` database, simple protocol only). */
async function bouncer<T = Record<string, unknown>>(command: string): Promise<T[]> {
  const target = parseDatabaseUrl(inject('aetherDatabase').poolerUrl!, 'DATABASE_URL_POOLER');
  // no parameters: pg sends a simple query
  return withAdminClient(target, async (client) => (await client.query(command)).rows as T[], 'pgbouncer');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!poolerUrl)('behind PgBouncer in transaction mode', () => {
  // more client connections than PgBouncer keeps server connections per database and user
  const db = useTestDatabase({ poolMax: 100, rowLevelSecurity: true });
  const database = () => db.settings.application.database;

  async function poolSize(): Promise<number> {
    const rows = await bouncer<{ key: string; value: string }>('SHOW CONFIG');
    return Number(rows.find((r) => r.key === 'default_pool_size')!.value);
  }

  /** Server connections of the application role to this file's database, seen by the server itself. */
  async function serverConnections(): Promise<number> {
    const [row] = await db.sql<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = current_database() and usename = $1',
      [APPLICATION_ROLE.role],
    );
    return row!.n;
  }

  async function tenant() {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `me@${domain.name}` });
    await db.aether.mail.deliverMany(box.address, [message(), message(), message()]);
    return { owner, domain, box };
  }

  it('application traffic goes through PgBouncer; schema work goes straight to the database', async () => {
    const pooler = parseDatabaseUrl(poolerUrl!, 'DATABASE_URL_POOLER');
    const direct = parseDatabaseUrl(process.env.DATABASE_URL!, 'DATABASE_URL');
    expect(pooler.port).not.toBe(direct.port);
    expect([db.settings.application.host, db.settings.application.port]).toEqual([pooler.host, pooler.port]);
    // migrations (and their session-level advisory lock) never go through the pooler
    const schema = createOrmConfig(db.settings, 'schema');
    const application = createOrmConfig(db.settings, 'application');
    expect([schema.host, schema.port]).toEqual([direct.host, direct.port]);
    expect([application.host, application.port]).toEqual([pooler.host, pooler.port]);

    // the server backend that ran our unit of work is one of PgBouncer's server connections
    const [seen] = await db.aether.unitOfWork((em) =>
      em.execute<{ pid: number; port: number; user: string }[]>(
        'select pg_backend_pid() as pid, inet_server_port() as port, current_user as user',
      ),
    );
    expect(seen!.port).toBe(direct.port); // the server is PostgreSQL, reached through port `pooler.port`
    expect(seen!.user).toBe(APPLICATION_ROLE.role);
    const servers = await bouncer<{ database: string; user: string; remote_pid: string | number }>('SHOW SERVERS');
    expect(servers.filter((s) => s.database === database()).map((s) => Number(s.remote_pid))).toContain(seen!.pid);
    // and PgBouncer counts our process among its clients of this database
    const clients = await bouncer<{ database: string; user: string }>('SHOW CLIENTS');
    expect(clients.filter((c) => c.database === database() && c.user === APPLICATION_ROLE.role).length).toBeGreaterThan(
      0,
    );
  });

  it('200 concurrent units of work from 100 client connections share at most default_pool_size server connections', async () => {
    const limit = await poolSize();
    const { owner, domain } = await ownerWithDomain(db);
    const boxes = await Promise.all(
      [0, 1, 2, 3].map((i) => db.aether.mailboxes.create(owner.id, { address: `busy${i}@${domain.name}` })),
    );
    const [usersBefore] = await db.sql<{ n: number }>('select count(*)::int as n from "user"');

    let sampling = true;
    const peaks = { server: 0, clients: 0, samples: 0 };
    const sampler = (async () => {
      while (sampling) {
        const [servers, pools] = await Promise.all([
          serverConnections(),
          bouncer<{ database: string; user: string; cl_active: string; cl_waiting: string }>('SHOW POOLS'),
        ]);
        const ours = pools.find((p) => p.database === database() && p.user === APPLICATION_ROLE.role);
        peaks.server = Math.max(peaks.server, servers);
        peaks.clients = Math.max(peaks.clients, ours ? Number(ours.cl_active) + Number(ours.cl_waiting) : 0);
        peaks.samples++;
        await sleep(5);
      }
    })();

    const work = Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0
        ? registerUser(db, `crowd-${i}-${Date.now()}@people.test`)
        : db.aether.mail.deliverInbound({
            recipients: [boxes[(i >> 1) % 4]!.address],
            message: message({ subject: `n${i}`, body: 'z'.repeat(i) }),
          }),
    );
    const results = await Promise.allSettled(work);
    sampling = false;
    await sampler;

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const [usersAfter] = await db.sql<{ n: number }>('select count(*)::int as n from "user"');
    expect(usersAfter!.n - usersBefore!.n).toBe(100);
    const ledger = await Promise.all(boxes.map((b) => mailboxLedger(db, b.id)));
    expect(ledger.map((l) => l.emails)).toEqual([25, 25, 25, 25]);
    for (const l of ledger) expect(l.used).toBe(l.stored);

    expect(peaks.samples).toBeGreaterThan(1);
    // the server never saw more than PgBouncer's pool for this database and role …
    expect(peaks.server).toBeGreaterThan(0);
    expect(peaks.server).toBeLessThanOrEqual(limit);
    // … while many more clients than that were connected to PgBouncer at once
    expect(peaks.clients).toBeGreaterThan(limit);
  });

  it('row-level security settings are transaction-local: interleaved confined units of work never see each other, nor leak', async () => {
    const a = await tenant();
    const b = await tenant();
    const setting = `select current_setting('aether.user_id', true) as setting, pg_backend_pid() as pid`;

    const confined = (who: typeof a) =>
      db.aether.unitOfWork(
        async (em) => {
          const [first] = await em.execute<{ setting: string; pid: number }[]>(setting);
          const mailboxes = (await em.find(Mailbox, {})).map((m) => m.id);
          await sleep(Math.random() * 5); // keep the transaction open while others come and go
          const emails = (await em.find(Email, {})).map((e) => e.mailbox.id);
          const [last] = await em.execute<{ setting: string; pid: number }[]>(setting);
          return { who: who.owner.id, first: first!, last: last!, mailboxes, emails };
        },
        { actingUserId: who.owner.id },
      );
    const unconfined = () =>
      db.aether.unitOfWork(async (em) => {
        const [row] = await em.execute<{ setting: string | null; pid: number }[]>(setting);
        const mailboxes = await em.count(Mailbox, { id: { $in: [a.box.id, b.box.id] } });
        return { setting: row!.setting, pid: row!.pid, mailboxes };
      });

    const runs = await Promise.all(Array.from({ length: 120 }, (_, i) => confined(i % 2 === 0 ? a : b)));
    for (const run of runs) {
      const own = run.who === a.owner.id ? a : b;
      expect(run.first.setting).toBe(run.who);
      expect(run.last.setting).toBe(run.who);
      expect(run.last.pid).toBe(run.first.pid); // one transaction, one server connection
      expect(run.mailboxes).toEqual([own.box.id]);
      expect(run.emails).toEqual([own.box.id, own.box.id, own.box.id]);
    }
    const confinedPids = new Set(runs.map((r) => r.first.pid));
    // far fewer server connections than units of work: they were handed from client to client
    expect(confinedPids.size).toBeLessThanOrEqual(await poolSize());

    const after = await Promise.all(Array.from({ length: 40 }, () => unconfined()));
    for (const run of after) {
      expect(run.setting ?? '').toBe(''); // gone with the transaction that set it
      expect(run.mailboxes).toBe(2); // unconfined work sees every tenant
    }
    // the same server connections that ran confined work ran the unconfined work afterwards
    expect(after.some((run) => confinedPids.has(run.pid))).toBe(true);

    // the services confine their read-only use cases the same way
    const [pageA, pageB] = await Promise.all([
      db.aether.mailboxes.list(a.owner.id, a.domain.id),
      db.aether.mailboxes.list(b.owner.id, b.domain.id),
    ]);
    expect(pageA.map((m) => m.id)).toEqual([a.box.id]);
    expect(pageB.map((m) => m.id)).toEqual([b.box.id]);
    await expect(db.aether.mailboxes.get(a.owner.id, b.box.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves no session state on the server connections: no session SET, no named prepared statements, no session advisory locks', async () => {
    db.queries.length = 0;
    const a = await tenant();
    await db.aether.mailboxes.get(a.owner.id, a.box.id);
    await db.aether.unitOfWork((em) => em.find(Mailbox, {}), { actingUserId: a.owner.id });
    const statements = db.queries.map((q) => q.toLowerCase());
    expect(statements.length).toBeGreaterThan(0);
    expect(
      statements.filter((q) => /^\s*(set|reset)\s(?!local\b)/.test(q) || /set_config\([^)]*false\)/.test(q)),
    ).toEqual([]);
    // transaction-scoped advisory locks (pg_advisory_xact_lock, taken on a domain name) end with the
    // transaction, so they are safe behind a transaction-mode pooler; session-level ones are not
    expect(statements.filter((q) => /\b(prepare|pg_advisory_lock|listen)\b/.test(q))).toEqual([]);

    // every server connection that served all of the above, and the tests before, is clean
    // (PgBouncer itself sets the parameters it tracks per client, such as application_name)
    // (and the data layer sets statement_timeout per transaction, since PgBouncer drops it at connect)
    const tracked = [
      'application_name',
      'client_encoding',
      'datestyle',
      'timezone',
      'standard_conforming_strings',
      'statement_timeout',
    ];
    const probes = await Promise.all(
      Array.from({ length: 30 }, () =>
        db.aether.unitOfWork(async (em) => {
          const [row] = await em.execute<{ pid: number; prepared: number; session: string[] }[]>(
            `select pg_backend_pid() as pid,
                    (select count(*)::int from pg_prepared_statements) as prepared,
                    (select coalesce(array_agg(lower(name)), '{}') from pg_settings where source = 'session') as session`,
          );
          await sleep(2);
          return row!;
        }),
      ),
    );
    expect(new Set(probes.map((p) => p.pid)).size).toBeGreaterThan(1);
    for (const probe of probes) {
      expect(probe.prepared).toBe(0);
      expect(probe.session.filter((name) => !tracked.includes(name))).toEqual([]);
    }
    expect(
      await db.sql(`select count(*)::int as n from pg_locks
        where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`),
    ).toEqual([{ n: 0 }]);
  });
});
