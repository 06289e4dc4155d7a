import { MikroORM } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';
import { folderCountDrift } from '../support/folder-counts.js';
import { useTestDatabase } from '../support/test-database.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();
const MIGRATION = 'Migration20261204193340_folder_counts_kept_by_the_application';

const triggers = () =>
  db.sql<{ tgname: string }>(
    `select tgname from pg_trigger where tgrelid = 'email'::regclass and tgname like 'email_folder_counts_%' order by 1`,
  );

describe('the migration that hands the folder counts to the application, on a populated database', () => {
  it('drops the triggers and recounts every folder; down() brings the triggers back exactly, and up() again', async () => {
    const { owner, domain } = await ownerWithDomain(db);
    const box = await db.aether.mailboxes.create(owner.id, { address: `m@${domain.name}` });
    for (let i = 0; i < 5; i++)
      await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ subject: `m${i}` }) });
    expect(await triggers()).toEqual([]);
    const emails = () => db.sql(`select mailbox_id, id, folder_id, uid, seen, size_bytes from email order by id`);
    const before = await emails();

    const config = createOrmConfig(db.settings, 'schema');
    const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
    try {
      // back to just before it (later migrations go down with it and come up again below)
      const executed = (await orm.migrator.getExecuted()).map((m) => m.name);
      await orm.migrator.down({ to: executed[executed.indexOf(MIGRATION) - 1]! });
      expect((await orm.migrator.getPending()).map((m) => m.name)).toEqual(executed.slice(executed.indexOf(MIGRATION)));
      // the triggers as the folder_tree migration made them: plain SQL moves the counts again
      expect((await triggers()).map((t) => t.tgname)).toEqual([
        'email_folder_counts_added',
        'email_folder_counts_changed',
        'email_folder_counts_removed',
      ]);
      await db.sql(`update email set seen = true where mailbox_id = $1 and uid <= 2`, [box.id]);
      await db.sql(`delete from email where mailbox_id = $1 and uid = 5`, [box.id]);
      expect(await folderCountDrift(db)).toEqual([]);
      // a count gone wrong (written by hand) is set right by the migration's recount
      await db.sql(`update folder set message_count = message_count + 3, size_bytes = 1 where mailbox_id = $1`, [
        box.id,
      ]);
      expect(await folderCountDrift(db)).not.toEqual([]);

      await orm.migrator.up();
      expect(await triggers()).toEqual([]);
      expect(await folderCountDrift(db)).toEqual([]);
      expect(await emails()).toHaveLength(before.length - 1);
      const { folders } = await db.aether.folders.list({ mailboxId: box.id });
      expect(folders.find((f) => f.role === 'inbox')).toMatchObject({ messageCount: 4, unseenCount: 2 });
      // and the application keeps them from here on
      await db.aether.mail.deliverInbound({ recipients: [box.address], message: message() });
      expect(await folderCountDrift(db)).toEqual([]);
    } finally {
      await orm.close(true);
    }
  });
});
