/**
 * No lost updates: of two units of work that loaded the same row and both change it, the later
 * gets CONCURRENT_UPDATE (a version column on every entity a user edits), never a silent
 * overwrite. Email is the exception by design: its edits (flags, folder) set single columns whose
 * effects do not depend on what was read, and MikroORM writes only the changed columns.
 */
import { describe, expect, it } from 'vitest';
import { Alias } from '../../src/domain/alias.js';
import { Folder } from '../../src/domain/folder.js';
import { EmailAddress } from '../../src/domain/email-address.js';
import { useTestDatabase } from '../support/test-database.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 20 });

describe('every entity a user edits is versioned', () => {
  // email is changed under its mailbox's modseq; the outbox's events are appended and removed, never
  // edited, and its keys' counters are raised by one atomic upsert
  it('the mappings give each of them a version column, and only the mail store, outbox and login records go without', async () => {
    const unversioned = [...db.aether.orm.getMetadata().getAll().values()]
      .filter((meta) => !meta.abstract && !meta.embeddable && !meta.versionProperty)
      .map((meta) => meta.className);
    // application passwords: a revocation and a login's record of last use write disjoint columns,
    // and MikroORM writes only changed ones; the login throttle is counted by one atomic upsert;
    // stored messages never change; the journal is append-only; a mailbox's state and its delivery
    // receipts are only written under its row lock; an outbound queue entry changes only under its row
    // lock (a claim's `for update skip locked`, an outcome's `for update`) and is fenced by its attempt number
    expect(new Set(unversioned)).toEqual(
      new Set([
        'Email',
        'AppPassword',
        'LoginThrottle',
        'OutboxEvent',
        'OutboxKey',
        'StoredMessage',
        'MailChange',
        'MailboxState',
        'DeliveryReceipt',
        'OutboundMessage',
      ]),
    );
  });
});

describe('two overlapping edits of one row', () => {
  async function world() {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
    const alias = await db.aether.aliases.add(owner.id, {
      source: `alias@${domain.name}`,
      destinations: [box.address],
    });
    const folder = await db.aether.mailboxes.createFolder(owner.id, box.id, 'Work');
    return { owner, domain, box, alias, folder };
  }

  it('an alias: the later gets CONCURRENT_UPDATE, the earlier change stays', async () => {
    const { owner, alias } = await world();
    const error = await db.aether
      .unitOfWork(async (em) => {
        const mine = await em.findOneOrFail(Alias, { id: alias.id });
        await db.aether.aliases.changeDestinations(owner.id, alias.id, ['theirs@outside.test']);
        mine.changeDestinations([EmailAddress.parse('mine@outside.test')]);
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect(await db.sql('select destinations, version from address where id = $1', [alias.id])).toEqual([
      { destinations: ['theirs@outside.test'], version: 2 },
    ]);
  });

  it('a folder: the later gets CONCURRENT_UPDATE, the earlier name stays', async () => {
    const { owner, box, folder } = await world();
    const error = await db.aether
      .unitOfWork(async (em) => {
        const mine = await em.findOneOrFail(Folder, { id: folder.id });
        await db.aether.mailboxes.renameFolder(owner.id, box.id, folder.id, 'Theirs');
        mine.rename('Mine');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect(await db.sql('select path, version from folder where id = $1', [folder.id])).toEqual([
      { path: 'Theirs', version: 2 },
    ]);
  });

  it('through the services, two renames of one folder queue on its mailbox: both applied in turn, none lost', async () => {
    const { owner, box, folder } = await world();
    const held = await hold(db, [['select id from address where id = $1 for update', [box.id]]]);
    const renames = ['First', 'Second'].map((path) =>
      outcome(db.aether.mailboxes.renameFolder(owner.id, box.id, folder.id, path)),
    );
    await waitForLockWaiters(db, 2);
    await held.commit();
    const results = await Promise.all(renames);
    expect(results.every((r) => r.ok)).toBe(true);
    const [row] = await db.sql<{ path: string; version: number }>('select path, version from folder where id = $1', [
      folder.id,
    ]);
    expect(row!.version).toBe(3);
    expect(['First', 'Second']).toContain(row!.path);
  });

  it('a burst of renames of one folder: each succeeds or is CONCURRENT_UPDATE, the version counts the successes', async () => {
    const { owner, box, folder } = await world();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        outcome(db.aether.mailboxes.renameFolder(owner.id, box.id, folder.id, `N${i}`)),
      ),
    );
    for (const r of results) if (!r.ok) expect(r.code).toBe('CONCURRENT_UPDATE');
    const wins = results.filter((r) => r.ok).length;
    const [row] = await db.sql<{ path: string; version: number }>('select path, version from folder where id = $1', [
      folder.id,
    ]);
    expect(row!.version).toBe(1 + wins);
    expect(results.some((r, i) => r.ok && row!.path === `N${i}`)).toBe(true);
  });
});
