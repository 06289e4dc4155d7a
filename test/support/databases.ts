/** Creating the databases tests run in (the admin connections themselves: src/infrastructure/database/admin-client.ts). */
import { createDatabase, dropDatabase, withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { preflight } from '../../src/infrastructure/database/preflight.js';
import { grantApplicationRole } from '../../src/infrastructure/database/application-role.js';
import { withSchemaOrm } from '../../src/infrastructure/database/schema-orm.js';

/** A fresh database with every migration applied, used as the template for per-file clones. */
export async function createTemplateDatabase(settings: DatabaseSettings, name: string): Promise<void> {
  await dropDatabase(settings.direct, name);
  await createDatabase(settings.direct, name);
  await preflight({ ...settings.direct, database: name });
  await withSchemaOrm(settings, name, (orm) => orm.migrator.up());
  // the application services under test run as a least-privilege role, as in production
  await withAdminClient(
    settings.direct,
    (c) => grantApplicationRole(c, { ...APPLICATION_ROLE, schema: settings.direct.schema, database: name }),
    name,
  );
}

/** The role the tests run the application as (created once per server, granted in the template). */
export const APPLICATION_ROLE = { role: 'aether_app_test', password: 'aether-app-test' };
