/**
 * `npm start`: the newcomer's main job. Brings the database up (embedded by default), applies
 * pending migrations, seeds development data into an empty database, and shows what is there.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { describeTarget } from '../infrastructure/database/database-url.js';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { createOrmConfig } from '../infrastructure/database/orm-config.js';
import { countRows } from '../infrastructure/persistence/table-counts.js';
import { DatabaseSeeder } from '../seeders/DatabaseSeeder.js';

const settings = await openSchemaSettings();
const config = createOrmConfig(settings, 'schema');
const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
try {
  const applied = await orm.migrator.up();
  console.log(
    applied.length
      ? `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`
      : 'Schema is up to date.',
  );
  const before = await countRows(orm.em.fork());
  if (before.user === 0) {
    await orm.seeder.seed(DatabaseSeeder);
    console.log('The database was empty: seeded the development world (src/seeders/DatabaseSeeder.ts).');
  }
  const counts = await countRows(orm.em.fork());
  console.log(`\nDatabase ${describeTarget(settings.direct)}${settings.embedded ? ' (embedded)' : ''}`);
  console.table(counts);
  console.log(`Next:
  npm run studio                browse and manage the data in your browser (make db-studio)
  npm test                      run the test suite
  npx mikro-orm migration:list  see applied migrations
  npm run db:reset              start over: drop, migrate, seed
  make help                     every other command`);
} finally {
  await orm.close(true);
}
