/**
 * `npm run db:app-role -- --role aether_app --password …`: creates (or updates) the least-privilege
 * role the application connects as, on the database and schema of DATABASE_URL. Run it as the
 * schema owner after `migration:up`; then give the application a DATABASE_URL with that role.
 */
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { withAdminClient } from '../infrastructure/database/admin-client.js';
import { APPLICATION_ROLE_NAME, grantApplicationRole } from '../infrastructure/database/application-role.js';
import { commandLine, fail, run } from './command-line.js';

const values = commandLine(
  `Usage: npm run db:app-role -- --password SECRET [--role aether_app]

Creates (or updates) the least-privilege role the application connects as, on the database and
schema of DATABASE_URL: it may read and write the rows of our tables and nothing else. Run it as
the schema owner after migrating.

  --role NAME          the role (lower-case letters, digits, underscores; default aether_app)
  --password SECRET    its login password (required; the variable AETHER_APP_ROLE_PASSWORD also works)
  -h, --help           show this help`,
  { role: { type: 'string', default: 'aether_app' }, password: { type: 'string' } },
);
const role = values.role!;
const password = values.password ?? process.env.AETHER_APP_ROLE_PASSWORD;
// checked before connecting: nothing is created when the command line is wrong
if (!APPLICATION_ROLE_NAME.test(role)) {
  fail(`--role "${role}" is not a valid role name: use lower-case letters, digits and underscores`);
}
if (!password)
  fail('--password is required: a login role without a password could not log in (or would rely on trust auth)');
const settings = await openSchemaSettings();
await run(() =>
  withAdminClient(settings.direct, async (client) => {
    await grantApplicationRole(client, {
      role,
      schema: settings.direct.schema,
      database: settings.direct.database,
      password,
    });
    console.log(`Role ${role} may now read and write the rows of schema ${settings.direct.schema} (and nothing else).`);
  }),
);
