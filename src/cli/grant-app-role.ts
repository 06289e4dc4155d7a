/**
 * `npm run db:app-role -- --role aether_app --password …`: creates (or updates) the least-privilege
 * role the application connects as, on the database and schema of DATABASE_URL. Run it as the
 * schema owner after `migration:up`; then give the application a DATABASE_URL with that role.
 */
import { parseArgs } from 'node:util';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { withAdminClient } from '../infrastructure/database/admin-client.js';
import { grantApplicationRole } from '../infrastructure/database/application-role.js';

const { values } = parseArgs({
  options: { role: { type: 'string', default: 'aether_app' }, password: { type: 'string' } },
});
const settings = await openSchemaSettings();
await withAdminClient(settings.direct, async (client) => {
  await grantApplicationRole(client, {
    role: values.role!,
    schema: settings.direct.schema,
    database: settings.direct.database,
    ...(values.password ? { password: values.password } : {}),
  });
  console.log(
    `Role ${values.role} may now read and write the rows of schema ${settings.direct.schema} (and nothing else).`,
  );
});
