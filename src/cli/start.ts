/**
 * `npm start`: the newcomer's main job. Brings the database up (embedded by default), applies
 * pending migrations, seeds development data into an empty database, and shows what is there.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { withAdminClient } from '../infrastructure/database/admin-client.js';
import { describeTarget } from '../infrastructure/database/database-url.js';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { createOrmConfig } from '../infrastructure/database/orm-config.js';
import { countRows } from '../infrastructure/persistence/table-counts.js';
import { DatabaseSeeder } from '../seeders/DatabaseSeeder.js';
import { commandLine, run } from './command-line.js';

commandLine(
  `Usage: npm start

Brings the database up (the embedded PostgreSQL when DATABASE_URL is unset), applies pending
migrations, seeds the development world into an empty database and shows what is there.`,
  {},
);
const settings = await openSchemaSettings();
const config = createOrmConfig(settings, 'schema');
const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
await run(async () => {
  const applied = await orm.migrator.up();
  console.log(
    applied.length
      ? `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`
      : 'Schema is up to date.',
  );
  // two `npm start` at once on a fresh database: the second waits here and then finds users
  const seeded = await withAdminClient(settings.direct, async (client) => {
    const key = `aether-seed:${settings.direct.schema}`;
    await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      if ((await countRows(orm.em.fork())).user > 0) return false;
      await orm.seeder.seed(DatabaseSeeder);
      return true;
    } finally {
      await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  });
  if (seeded) console.log('The database was empty: seeded the development world (src/seeders/DatabaseSeeder.ts).');
  const counts = await countRows(orm.em.fork());
  console.log(`\nDatabase ${describeTarget(settings.direct)}${settings.embedded ? ' (embedded)' : ''}`);
  console.table(counts);
  console.log(`Next:
  npm run studio                browse and manage the data in your browser (make db-studio)
  npm test                      run the test suite
  npx mikro-orm migration:list  see applied migrations
  npm run db:reset              start over: drop, migrate, seed
  make help                     every other command`);
}).finally(() => orm.close(true));
