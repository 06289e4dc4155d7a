/**
 * `npm run db:status`: the applied and the pending migrations, and, like `prisma migrate status`,
 * a scriptable answer: exit status 0 when the schema is up to date, 1 when migrations are pending
 * (or the database cannot be reached).
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { describeTarget } from '../infrastructure/database/database-url.js';
import { createOrmConfig } from '../infrastructure/database/orm-config.js';
import { commandLine, run } from './command-line.js';

commandLine(
  `Usage: npm run db:status

Lists the applied and the pending migrations of DATABASE_URL (or the embedded PostgreSQL).
Exit status: 0 when nothing is pending, 1 when migrations are pending or on any error.`,
  {},
);
const settings = await openSchemaSettings();
const config = createOrmConfig(settings, 'schema');
const orm = await MikroORM.init({ ...config, migrations: { ...config.migrations, silent: true } });
let pending = 0;
await run(async () => {
  const executed = await orm.migrator.getExecuted();
  const waiting = await orm.migrator.getPending();
  pending = waiting.length;
  console.log(`Database ${describeTarget(settings.direct)}`);
  console.log(`Applied (${executed.length}):`);
  for (const m of executed) console.log(`  ${m.name}`);
  console.log(`Pending (${waiting.length}):${waiting.length ? '' : ' none, the schema is up to date'}`);
  for (const m of waiting) console.log(`  ${m.name}`);
}).finally(() => orm.close(true));
if (pending > 0) {
  console.error(`error: ${pending} migration(s) pending; apply them with \`npx mikro-orm migration:up\``);
  process.exitCode = 1;
}
