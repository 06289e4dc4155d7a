/**
 * `npm run db:reset [-- --yes] [-- --force]`: drops every table of the configured schema,
 * migrates from scratch and seeds the development world. Asks first unless `--yes`; refuses a
 * database that does not look local unless `--force`.
 */
import { createInterface } from 'node:readline/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { describeTarget, isLocalHost } from '../infrastructure/database/database-url.js';
import { createOrmConfig } from '../infrastructure/database/orm-config.js';
import { DatabaseSeeder } from '../seeders/DatabaseSeeder.js';
import { commandLine, run } from './command-line.js';

const values = commandLine(
  `Usage: npm run db:reset [-- --yes] [-- --force] [-- --no-seed]

Drops every table of the configured schema, applies all migrations and seeds the development world.

  -y, --yes     do not ask first (needed without a terminal)
  --force       also on a database that does not look local (not 127.0.0.1, localhost or ::1)
  --no-seed     migrate only
  -h, --help    show this help`,
  {
    yes: { type: 'boolean', short: 'y', default: false },
    force: { type: 'boolean', default: false },
    'no-seed': { type: 'boolean', default: false },
  },
);

// decided before connecting anywhere: a production host is refused even when it is unreachable
const url = process.env.DATABASE_URL?.trim();
const host = url ? URL.canParse(url) && new URL(url).hostname.replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
if (host && !isLocalHost(host) && !values.force) {
  console.error(
    `error: refusing to reset the database on ${host}: it does not look local. Pass --force if you really mean it.`,
  );
  process.exit(1);
}
const settings = await openSchemaSettings();
const where = describeTarget(settings.direct);
if (!values.yes) {
  if (!process.stdin.isTTY) {
    console.error(`error: db:reset deletes all data in ${where}; pass --yes to confirm without a terminal.`);
    process.exit(1);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`This deletes ALL data in ${where}. Type "reset" to continue: `);
  rl.close();
  if (answer.trim() !== 'reset') {
    console.error('Nothing was changed.');
    process.exit(1);
  }
}

const config = createOrmConfig(settings, 'schema');
const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
await run(async () => {
  await orm.schema.drop({ dropMigrationsTable: true });
  const applied = await orm.migrator.up();
  console.log(`Dropped everything and applied ${applied.length} migration(s).`);
  if (!values['no-seed']) {
    await orm.seeder.seed(DatabaseSeeder);
    console.log('Seeded the development world.');
  }
}).finally(() => orm.close(true));
