/**
 * Guard of `src/infrastructure/database/upstream/snapshot-partitioning.ts`. MikroORM's migrator
 * neither writes table partitioning into its schema snapshot nor reads it back, so the
 * hash-partitioned `email` table is drift for ever. When the stock migrator keeps it, the first
 * tests fail and the workaround can go.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrmConfig } from '../../../src/infrastructure/database/orm-config.js';
import { PartitionKeepingMigrator } from '../../../src/infrastructure/database/upstream/snapshot-partitioning.js';
import { useTestDatabase } from '../../support/test-database.js';

const db = useTestDatabase();
const committed = new URL('../../../migrations/.snapshot.json', import.meta.url);

let orm: MikroORM;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aether-snapshot-'));
  // the committed snapshot is written for the default schema (README: migration workflow), so the
  // entities are compared in it whatever schema this run's database uses
  const config = createOrmConfig({ ...db.settings, direct: { ...db.settings.direct, schema: 'public' } }, 'schema');
  orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, path: dir, pathTs: dir, silent: true } });
});

afterAll(async () => {
  await orm?.close(true);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What the migrator does with its snapshot, reached past `protected`. */
interface SnapshotSide {
  storeCurrentSchema(): Promise<void>;
  checkSchema(): Promise<boolean>;
}

const stock = () => new Migrator(orm.em as never) as unknown as SnapshotSide;
const keeping = () => new PartitionKeepingMigrator(orm.em as never) as unknown as SnapshotSide;

async function emailPartitioning(path: string): Promise<unknown> {
  const snapshot = JSON.parse(await readFile(path, 'utf8')) as { tables: { name: string; partitioning?: unknown }[] };
  return snapshot.tables.find((t) => t.name === 'email')?.partitioning;
}

describe('MikroORM leaves partitioning out of the schema snapshot (the upstream behaviour)', () => {
  it('the stock migrator drops partitioning from the snapshot it writes, then reports drift', async () => {
    const migrator = stock();
    await migrator.storeCurrentSchema();
    expect(await emailPartitioning(join(dir, '.snapshot.json'))).toBeUndefined();
    expect(await migrator.checkSchema()).toBe(true);
  });

  it('the stock migrator reads no partitioning from a snapshot that has it, and reports drift', async () => {
    await copyFile(committed, join(dir, '.snapshot.json'));
    expect(await emailPartitioning(join(dir, '.snapshot.json'))).toBeDefined();
    expect(await stock().checkSchema()).toBe(true);
  });
});

describe('PartitionKeepingMigrator', () => {
  it('reads the committed snapshot as matching the entities', async () => {
    await copyFile(committed, join(dir, '.snapshot.json'));
    expect(await keeping().checkSchema()).toBe(false);
  });

  it('writes the partitioning the committed snapshot has, and reads it back as no drift', async () => {
    const migrator = keeping();
    await migrator.storeCurrentSchema();
    const written = await emailPartitioning(join(dir, '.snapshot.json'));
    expect(written).toEqual(await emailPartitioning(committed.pathname));
    expect(written).toMatchObject({ definition: 'hash ("mailbox_id")' });
    expect(await migrator.checkSchema()).toBe(false);
  });
});
