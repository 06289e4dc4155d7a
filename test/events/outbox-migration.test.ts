/**
 * The migration that numbers the outbox per key (issue #19: no sequence on a distributed table), on
 * an outbox with events waiting: each key keeps its events' order, its counter continues after
 * them, and down() gives the column its identity back without reordering any key.
 */
import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { useEmptyDatabase } from '../support/empty-database.js';

const db = useEmptyDatabase();
const MIGRATION = 'Migration20261204192109_outbox_position_per_key';

/** Each key's event ids in position order. */
const orderPerKey = async () => {
  const rows = await db.sql<{ ordering_key: string; id: string; position: string }>(
    'select ordering_key, id, position from outbox_event order by ordering_key, position',
  );
  const keys = new Map<string, string[]>();
  for (const r of rows) keys.set(r.ordering_key, [...(keys.get(r.ordering_key) ?? []), r.id]);
  return { keys, positions: rows.map((r) => Number(r.position)) };
};

describe('numbering the outbox per key, on an outbox with waiting events', () => {
  it('keeps every key’s order up, down and up again, and continues each key’s count after its events', async () => {
    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      const all = (await orm.migrator.getPending()).map((m) => m.name);
      await orm.migrator.up({ to: all[all.indexOf(MIGRATION) - 1]! });
      // two users' keys, their events interleaved in the global numbering
      const users = [randomUUID(), randomUUID()];
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const user = users[i % 2]!;
        const id = randomUUID();
        ids.push(id);
        await db.sql(
          `insert into outbox_event (ordering_key, id, kind, scope, tenant_id, data, occurred_at)
           values ($1, $2, 'user.suspended', 'user', $1, '{}', now())`,
          [user, id],
        );
      }
      const before = await orderPerKey();
      expect(before.keys.get(users[0]!)).toEqual(ids.filter((_, i) => i % 2 === 0));

      await orm.migrator.up({ to: MIGRATION });
      const migrated = await orderPerKey();
      expect(migrated.keys).toEqual(before.keys);
      expect(migrated.positions).toEqual([...migrated.keys.values()].flatMap((events) => events.map((_, i) => i + 1)));
      const counters = await db.sql<{ ordering_key: string; tenant_id: string; last_position: string }>(
        'select ordering_key, tenant_id, last_position from outbox_key order by ordering_key',
      );
      expect(counters.map((c) => [c.ordering_key, c.tenant_id, Number(c.last_position)])).toEqual(
        [...before.keys].map(([key, events]) => [key, key, events.length]),
      );
      // no sequence behind the column any more: an insert must say its position
      await expect(
        db.sql(
          `insert into outbox_event (ordering_key, id, kind, scope, tenant_id, data, occurred_at)
           values ($1, $2, 'user.suspended', 'user', $1, '{}', now())`,
          [users[0], randomUUID()],
        ),
      ).rejects.toThrow(/null value in column "position"/);

      await orm.migrator.down({ to: all[all.indexOf(MIGRATION) - 1]! });
      expect((await orderPerKey()).keys).toEqual(before.keys);
      expect(await db.sql(`select to_regclass('outbox_key') as t`)).toEqual([{ t: null }]);
      // the identity is back, and numbers after every waiting event
      const extra = randomUUID();
      await db.sql(
        `insert into outbox_event (ordering_key, id, kind, scope, tenant_id, data, occurred_at)
         values ($1, $2, 'user.suspended', 'user', $1, '{}', now())`,
        [users[1], extra],
      );
      const afterDown = await orderPerKey();
      expect(afterDown.keys.get(users[1]!)).toEqual([...before.keys.get(users[1]!)!, extra]);

      await orm.migrator.up();
      const again = await orderPerKey();
      expect(again.keys.get(users[1]!)).toEqual([...before.keys.get(users[1]!)!, extra]);
      expect(again.keys.get(users[0]!)).toEqual(before.keys.get(users[0]!));
    } finally {
      await orm.close();
    }
  });
});
