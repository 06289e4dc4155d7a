import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useTestDatabase } from '../support/test-database.js';
import { ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();
const MIGRATION = 'Migration20261204202244_outbound_keeps_its_bytes';

const entries = () =>
  db.sql<{ id: string; status: string; content_hash: string | null }>(
    `select id, status, content_hash from outbound_message order by id`,
  );
const messages = () =>
  db.sql<{ content_hash: string; digest: string }>(
    `select content_hash, md5(raw) as digest, size_bytes from message order by content_hash`,
  );
const entryBytes = () =>
  db.sql<{ id: string; digest: string | null }>(`select id, md5(raw) as digest from outbound_message order by id`);
const contentKey = () =>
  db.sql(`select conname from pg_constraint where conname = 'outbound_message_content_hash_foreign'`);

describe('the migration that gives the outbound queue its own bytes, on a populated database', () => {
  it('up() copies every waiting entry’s bytes and drops the key; down() puts every message back; nothing lost', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `out@${domain.name}` });
    await db.aether.aliases.add(owner.id, { source: `away@${domain.name}`, destinations: ['me@elsewhere.test'] });
    // sent (its Sent copy keeps the message in the store), forwarded only (no copy here), and one finished
    await db.aether.mail.send(owner.id, box.id, { to: ['a@far.test', 'b@far.test'], subject: 'sent', body: 'x' });
    await db.aether.mail.deliverInbound({
      recipients: [`away@${domain.name}`],
      message: { from: 'w@outside.test', to: [`away@${domain.name}`], subject: 'forwarded only', body: 'y' },
    });
    const claimed = await db.aether.outbound.claim({ relayId: 'r', limit: 10 });
    const done = claimed.find((c) => c.recipient === 'b@far.test')!;
    await db.aether.outbound.delivered([{ id: done.id, attempt: done.attempt }]);
    const forwarded = claimed.find((c) => c.recipient === 'me@elsewhere.test')!;
    const before = { entries: await entries(), bytes: await entryBytes(), messages: await messages() };
    expect(before.messages.map((m) => m.content_hash)).not.toContain(forwarded.contentHash);

    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      const executed = (await orm.migrator.getExecuted()).map((m) => m.name);
      await orm.migrator.down({ to: executed[executed.indexOf(MIGRATION) - 1]! });
      expect((await orm.migrator.getPending()).map((m) => m.name)).toContain(MIGRATION);
      // every entry as it was, and the store holds every waiting entry's bytes again, behind the key
      expect(await entries()).toEqual(before.entries);
      expect(await contentKey()).toHaveLength(1);
      const restored = await messages();
      expect(restored.map((m) => m.content_hash)).toEqual(
        [...before.messages.map((m) => m.content_hash), forwarded.contentHash].sort(),
      );
      for (const { id, digest } of before.bytes.filter((b) => b.digest !== null)) {
        const hash = before.entries.find((e) => e.id === id)!.content_hash;
        expect(restored.find((m) => m.content_hash === hash)!.digest, id).toBe(digest);
      }

      await orm.migrator.up();
      expect(await orm.migrator.getPending()).toEqual([]);
      expect(await contentKey()).toEqual([]);
      expect(await entries()).toEqual(before.entries);
      expect(await entryBytes()).toEqual(before.bytes);
      expect(await messages()).toEqual(before.messages);
      // the relay still gets the bytes
      await db.sql(
        `update outbound_message set next_attempt_at = now() - interval '1 second' where status = 'claimed'`,
      );
      const again = await db.aether.outbound.claim({ relayId: 'r2', limit: 10 });
      expect(again.find((c) => c.id === forwarded.id)!.raw.equals(forwarded.raw)).toBe(true);
    } finally {
      await orm.close(true);
    }
  });
});
