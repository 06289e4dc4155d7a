/**
 * The transactional outbox in the database: each use case writes its events in its own
 * transaction, a refused or failed one writes none, and positions follow commit order per key.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { OUTBOX_CHANNEL, recordMailboxEvent, writeRecordedEvents } from '../../src/application/events/outbox.js';
import { toPgConfig } from '../../src/infrastructure/database/database-url.js';
import { Mailbox } from '../../src/domain/mailbox.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain, PASSWORD, registerUser } from '../support/world.js';

const db = useTestDatabase();

interface Row {
  id: string;
  ordering_key: string;
  position: string;
  kind: string;
  scope: string;
  tenant_id: string;
  domain_id: string | null;
  mailbox_id: string | null;
  modseq: string | null;
  data: Record<string, unknown>;
}

const eventsOf = (key: string) =>
  db.sql<Row>('select * from outbox_event where ordering_key = $1 order by position', [key]);
const kindsOf = async (key: string) => (await eventsOf(key)).map((e) => e.kind);

describe('the transactional outbox', () => {
  it('records user, domain and mailbox events in the unit of work that made the change, with ids and no secrets', async () => {
    const user = await registerUser(db);
    await db.aether.users.changePassword(user.id, { current: PASSWORD, next: `${PASSWORD} again` });
    const { domain } = await ownerWithDomain(db, { name: 'outbox-one.example' });
    const owner = (await db.sql<{ owner_id: string }>('select owner_id from domain where id = $1', [domain.id]))[0]!
      .owner_id;
    const mailbox = await db.aether.mailboxes.create(owner, {
      address: 'ada@outbox-one.example',
      quotaBytes: 1_000_000,
    });
    await db.aether.mailboxes.suspend(owner, mailbox.id);
    await db.aether.mailboxes.activate(owner, mailbox.id);
    await db.aether.mailboxes.changeQuota(owner, mailbox.id, 2_000_000);
    await db.aether.domains.suspend(owner, domain.id);
    await db.aether.domains.activate(owner, domain.id);
    await db.aether.domains.changeLimits(owner, domain.id, { maxMailboxes: 5 });

    expect(await kindsOf(user.id)).toEqual(['user.registered', 'user.password_changed']);
    expect(await kindsOf(owner)).toEqual(['user.registered']);
    expect(await kindsOf(domain.id)).toEqual([
      'domain.added',
      'domain.verified',
      'domain.suspended',
      'domain.activated',
      'domain.limits_changed',
    ]);
    const mailboxEvents = await eventsOf(mailbox.id);
    expect(mailboxEvents.map((e) => e.kind)).toEqual([
      'mailbox.created',
      'mailbox.suspended',
      'mailbox.activated',
      'mailbox.quota_changed',
    ]);
    for (const e of mailboxEvents) {
      expect(e).toMatchObject({ scope: 'mailbox', tenant_id: owner, domain_id: domain.id, mailbox_id: mailbox.id });
      expect(e.data.address).toBe('ada@outbox-one.example');
    }
    expect(mailboxEvents[3]!.data).toMatchObject({ quotaBytes: 2_000_000, usedBytes: 0 });
    // no secret in any event: neither a password hash nor the domain's verification token
    const [{ hash, token }] = (await db.sql<{ hash: string; token: string }>(
      `select (select password_hash from "user" where id = $1) as hash,
              (select verification_token from domain where id = $2) as token`,
      [user.id, domain.id],
    )) as [{ hash: string; token: string }];
    const all = JSON.stringify(await db.sql('select * from outbox_event'));
    expect(all).not.toContain(hash);
    expect(all).not.toContain(token);
    expect(all).not.toContain(PASSWORD);
  });

  it('writes the deletion of a mailbox explicitly, though its rows go by bulk statements', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `gone@${domain.name}` });
    await db.aether.mailboxes.delete(owner.id, mailbox.id);
    expect(await db.sql('select id from address where id = $1', [mailbox.id])).toEqual([]);
    const events = await eventsOf(mailbox.id);
    expect(events.map((e) => e.kind)).toEqual(['mailbox.created', 'mailbox.deleted']);
    expect(events[1]).toMatchObject({
      tenant_id: owner.id,
      domain_id: domain.id,
      data: { address: `gone@${domain.name}` },
    });
  });

  it('records the release of the losing claims when a domain is verified, and one deletion event for a user', async () => {
    const squatter = await registerUser(db);
    const claim = await db.aether.domains.add(squatter.id, { name: 'outbox-contested.example' });
    const { owner, domain } = await ownerWithDomain(db, { name: 'outbox-contested.example' });
    expect(await kindsOf(claim.id)).toEqual(['domain.added', 'domain.released']);
    const [released] = (await eventsOf(claim.id)).slice(-1);
    expect(released).toMatchObject({ tenant_id: squatter.id, data: { name: 'outbox-contested.example' } });
    await db.aether.users.delete(owner.id);
    expect((await kindsOf(owner.id)).at(-1)).toBe('user.deleted');
    expect(await kindsOf(domain.id)).toEqual(['domain.added', 'domain.verified']);
  });

  it('a refused use case writes no event (every row of every table, the outbox included, unchanged)', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `taken@${domain.name}` });
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `TAKEN@${domain.name}` }),
    );
    await expectRefused(db, 'INVALID_QUOTA', () => db.aether.mailboxes.changeQuota(owner.id, mailbox.id, -1));
    expect(await kindsOf(mailbox.id)).toEqual(['mailbox.created']);
  });

  it('a unit of work that fails after recording events leaves none, and the next one on the pool is clean', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `fails@${domain.name}` });
    const failed = await outcome(
      db.aether.unitOfWork(async (em) => {
        const loaded = await em.findOneOrFail(Mailbox, mailbox.id, { populate: ['domain'] });
        recordMailboxEvent(em, 'mailbox.quota_reached', loaded, { percent: 80 });
        loaded.suspend();
        throw new Error('the use case failed after recording');
      }),
    );
    expect(failed.ok).toBe(false);
    await db.aether.mailboxes.suspend(owner.id, mailbox.id);
    expect(await kindsOf(mailbox.id)).toEqual(['mailbox.created', 'mailbox.suspended']);
  });

  it('writes the events, their positions and one NOTIFY in one statement: awake at commit, silent on rollback, data intact', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `notify@${domain.name}` });
    const target = db.settings.direct;
    const listener = new pg.Client({ ...toPgConfig(target), options: `-c search_path=${target.schema}` });
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.channel));
    await listener.connect();
    try {
      await listener.query(`listen ${OUTBOX_CHANNEL}`);
      // awkward data: what a parameter list or a placeholder scan would split or take
      const data = { note: "a, b? c $1 'quoted' {x}", list: ['1,2', '?'], flag: true };
      await db.aether.unitOfWork(async (em) => {
        const loaded = await em.findOneOrFail(Mailbox, mailbox.id, { populate: ['domain'] });
        recordMailboxEvent(em, 'mailbox.quota_reached', loaded, { ...data, percent: 80 });
        recordMailboxEvent(em, 'mailbox.quota_reached', loaded, { ...data, percent: 90 });
      });
      await expect.poll(() => heard.length, { timeout: 5_000 }).toBe(1);
      const events = await eventsOf(mailbox.id);
      expect(events.map((e) => [e.kind, Number(e.position), e.data])).toEqual([
        ['mailbox.created', 1, expect.any(Object)],
        ['mailbox.quota_reached', 2, { address: mailbox.address, ...data, percent: 80 }],
        ['mailbox.quota_reached', 3, { address: mailbox.address, ...data, percent: 90 }],
      ]);
      // rolled back: no event, no position taken, no NOTIFY
      await outcome(
        db.aether.unitOfWork(async (em) => {
          const loaded = await em.findOneOrFail(Mailbox, mailbox.id, { populate: ['domain'] });
          recordMailboxEvent(em, 'mailbox.quota_reached', loaded, { percent: 95 });
          await em.flush();
          await writeRecordedEvents(em);
          throw new Error('fails after its events were written');
        }),
      );
      await db.aether.mailboxes.suspend(owner.id, mailbox.id);
      await expect.poll(() => heard.length, { timeout: 5_000 }).toBe(2);
      expect((await eventsOf(mailbox.id)).map((e) => [e.kind, Number(e.position)])).toEqual([
        ['mailbox.created', 1],
        ['mailbox.quota_reached', 2],
        ['mailbox.quota_reached', 3],
        ['mailbox.suspended', 4],
      ]);
    } finally {
      await listener.end();
    }
  });

  it('held at the key: the unit of work that commits first gets the earlier position', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `order@${domain.name}` });
    // the test holds the mailbox's ordering key (its counter row, there since mailbox.created): the
    // suspension stops there, holding the row it updated
    const held = await hold(db, [['select 1 from outbox_key where ordering_key = $1 for update', [mailbox.id]]]);
    const suspension = outcome(db.aether.mailboxes.suspend(owner.id, mailbox.id));
    await waitForLockWaiters(db, 1);
    // the quota change queues behind the suspension's row lock, though it started later
    const quota = outcome(db.aether.mailboxes.changeQuota(owner.id, mailbox.id, 5_000_000));
    await waitForLockWaiters(db, 2);
    await held.commit();
    expect((await suspension).ok).toBe(true);
    expect((await quota).ok).toBe(true);
    expect(await kindsOf(mailbox.id)).toEqual(['mailbox.created', 'mailbox.suspended', 'mailbox.quota_changed']);
  });

  it('as an unsynchronised burst of quota changes: the last event by position is the state that stayed', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const mailbox = await db.aether.mailboxes.create(owner.id, { address: `burst@${domain.name}` });
    const quotas = Array.from({ length: 24 }, (_, i) => (i + 1) * 1_000_000);
    const results = await Promise.all(
      quotas.map((q) => outcome(db.aether.mailboxes.changeQuota(owner.id, mailbox.id, q))),
    );
    const committed = results.filter((r) => r.ok).length;
    expect(committed).toBeGreaterThan(0);
    const events = (await eventsOf(mailbox.id)).filter((e) => e.kind === 'mailbox.quota_changed');
    // one event per committed change, and none of a refused one
    expect(events).toHaveLength(committed);
    const [row] = await db.sql<{ quota_bytes: string }>('select quota_bytes from mailbox_usage where mailbox_id = $1', [
      mailbox.id,
    ]);
    expect(events.at(-1)!.data.quotaBytes).toBe(Number(row!.quota_bytes));
    // the key's counter handed out 1, 2, 3, … with no gap and no repeat, whoever raced
    const all = await eventsOf(mailbox.id);
    expect(all.map((e) => Number(e.position))).toEqual(all.map((_, i) => i + 1));
    const [counter] = await db.sql<{ last_position: string; tenant_id: string }>(
      'select last_position, tenant_id from outbox_key where ordering_key = $1',
      [mailbox.id],
    );
    expect(Number(counter!.last_position)).toBe(all.length);
    expect(counter!.tenant_id).toBe(owner.id);
  });
});
