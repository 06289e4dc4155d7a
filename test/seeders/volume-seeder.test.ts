import { describe, expect, it } from 'vitest';
import { folderCountDrift } from '../support/folder-counts.js';
import { Argon2PasswordHasher } from '../../src/infrastructure/security/argon2-password-hasher.js';
import {
  seedVolume,
  VOLUME_DEFAULTS,
  VOLUME_PASSWORD,
  VOLUME_PASSWORD_HASH,
  volumeOptionsFromEnv,
  type VolumeProgress,
} from '../../src/seeders/VolumeSeeder.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
// a database of its own for the failure case
const failing = useTestDatabase();

const size = { users: 20, domains: 30, mailboxes: 50, emails: 5_000, hotMailboxEmails: 1_000 };

describe('seedVolume', () => {
  it('writes exactly the asked counts, in batches, with used_bytes exact', async () => {
    const progress: VolumeProgress[] = [];
    const result = await seedVolume(db.aether.orm.em, {
      ...size,
      batchSize: 1_000,
      onProgress: (p) => progress.push(p),
    });

    const [counts] = await db.sql<Record<string, number>>(`
      select (select count(*) from "user")::int as users,
             (select count(*) from domain where verified and status = 'active')::int as domains,
             (select count(*) from address where kind = 'mailbox')::int as mailboxes,
             (select count(*) from folder)::int as folders,
             (select count(*) from email)::int as emails,
             (select sum(size_bytes) from email)::int as bytes`);
    expect(counts).toEqual({
      users: 20,
      domains: 30,
      mailboxes: 50,
      folders: 300,
      emails: 5_000,
      bytes: result.emailBytes,
    });
    expect(result).toMatchObject({ users: 20, domains: 30, mailboxes: 50, emails: 5_000 });

    const mailboxes = await db.sql<{
      address: string;
      domain: string;
      used: string;
      sum: string;
      emails: number;
      inbox: number;
    }>(`
      select a.address, d.name as domain, mu.used_bytes as used,
             (select coalesce(sum(size_bytes), 0) from email e where e.mailbox_id = a.id)::bigint as sum,
             (select count(*) from email e where e.mailbox_id = a.id)::int as emails,
             (select count(*) from email e join folder f on f.id = e.folder_id where e.mailbox_id = a.id and f.role = 'inbox')::int as inbox
      from address a join mailbox_usage mu on mu.mailbox_id = a.id join domain d on d.id = a.domain_id where a.kind = 'mailbox'`);
    for (const m of mailboxes) {
      expect(m.used).toBe(m.sum);
      expect(m.inbox).toBe(m.emails);
      const k = Number(/^user(\d+)@/.exec(m.address)![1]);
      expect(m.address).toBe(`user${k}@d${k % 30}.example`);
      expect(m.domain).toBe(`d${k % 30}.example`);
      // the hot mailbox takes its share, the 49 others share the other 4,000 evenly (81 or 82 each)
      expect(m.emails).toBe(k === 0 ? 1_000 : k <= 4_000 % 49 ? 82 : 81);
    }

    // every folder's counts equal its email (each batch raised its inboxes' counts once)
    expect(await folderCountDrift(db)).toEqual([]);

    // batches of at most 1,000, reported as they commit
    const done = progress.filter((p) => p.phase === 'emails').map((p) => p.done);
    expect(done.at(-1)).toBe(5_000);
    expect(done.every((d, i) => d - (done[i - 1] ?? 0) > 0 && d - (done[i - 1] ?? 0) <= 1_000)).toBe(true);
    expect(progress.filter((p) => p.phase === 'directory').at(-1)).toEqual({ phase: 'directory', done: 20, total: 20 });
  });

  it('gives every volume user the documented password, hashed with the default parameters', async () => {
    const hasher = new Argon2PasswordHasher();
    expect(await hasher.verify(VOLUME_PASSWORD_HASH, VOLUME_PASSWORD)).toBe(true);
    expect(hasher.needsRehash(VOLUME_PASSWORD_HASH)).toBe(false);
    expect(await db.sql('select distinct password_hash from "user"')).toEqual([
      { password_hash: VOLUME_PASSWORD_HASH },
    ]);
  });

  it('refuses to seed volume data twice', async () => {
    const [before] = await db.sql('select count(*)::int as n from email');
    await expect(seedVolume(db.aether.orm.em, { ...size, batchSize: 1_000 })).rejects.toThrow(
      'the database already holds volume data (owner0@volume.example); run `npm run db:reset`',
    );
    expect(await db.sql('select count(*)::int as n from email')).toEqual([before]);
  });

  it('stops every lane at the first failure and leaves only whole, consistent batches', async () => {
    let reports = 0;
    const stopping = seedVolume(failing.aether.orm.em, {
      ...size,
      batchSize: 500,
      onProgress: (p) => {
        if (p.phase === 'emails' && ++reports === 3) throw new Error('stop here');
      },
    });
    await expect(stopping).rejects.toThrow('stop here');
    const [row] = await failing.sql<{ emails: number; inconsistent: number }>(`
      select (select count(*)::int from email) as emails,
             (select count(*)::int from address a join mailbox_usage mu on mu.mailbox_id = a.id where a.kind = 'mailbox'
                and mu.used_bytes <> (select coalesce(sum(size_bytes), 0) from email e where e.mailbox_id = a.id)) as inconsistent`);
    // three batches committed and reported, and at most the other lane's batch in flight then
    expect(row!.emails).toBeGreaterThanOrEqual(3 * 500 - 500);
    expect(row!.emails).toBeLessThanOrEqual(4 * 500);
    expect(row!.inconsistent).toBe(0);
    expect(await folderCountDrift(failing)).toEqual([]);
  });

  it('refuses sizes that cannot be laid out', async () => {
    await expect(seedVolume(db.aether.orm.em, { users: 1, domains: 0, mailboxes: 1, emails: 0 })).rejects.toThrow(
      'mailboxes need at least one domain',
    );
    await expect(seedVolume(db.aether.orm.em, { users: 1, domains: 1, mailboxes: 1, emails: 1.5 })).rejects.toThrow(
      'emails must be a whole number',
    );
  });
});

describe('volumeOptionsFromEnv', () => {
  it('reads the SEED_* variables over the benchmark defaults', () => {
    expect(volumeOptionsFromEnv({ SEED_EMAILS: '1_000_000', SEED_HOT_EMAILS: '0' })).toEqual({
      ...VOLUME_DEFAULTS,
      emails: 1_000_000,
      hotMailboxEmails: 0,
    });
    expect(() => volumeOptionsFromEnv({ SEED_USERS: 'many' })).toThrow(
      'SEED_USERS must be a whole number (got "many")',
    );
  });
});
