/**
 * `npm run db:mail-role -- --role aether_mail --password …`: creates (or updates) the role Postfix
 * and Dovecot connect as, which may read the published lookup views and nothing else, on the
 * database and schema of DATABASE_URL. Run it as the schema owner after `migration:up`.
 */
import { fail, parseMailCliArgs } from './mail-cli-args.js';
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { withAdminClient } from '../infrastructure/database/admin-client.js';
import { grantMailRole } from '../infrastructure/database/mail-role.js';

const HELP = `Usage: npm run db:mail-role -- [--role NAME] [--password SECRET]

Creates (or updates) the role mail servers log in as: SELECT on the lookup views of the
DATABASE_URL schema (virtual_domains, virtual_mailboxes, virtual_aliases, dovecot_passdb,
dovecot_userdb) and nothing else. Run it after the migrations, as the schema owner.

  --role NAME        the role (lower-case letters, digits, _); default aether_mail
  --password SECRET  its login password (leave out to keep the current one)
  --help             this text`;

const values = parseMailCliArgs(
  {
    options: {
      role: { type: 'string', default: 'aether_mail' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  HELP,
);
const settings = await openSchemaSettings();
try {
  await withAdminClient(settings.direct, async (client) => {
    const { lookupSchema } = await grantMailRole(client, {
      role: values.role!,
      schema: settings.direct.schema,
      database: settings.direct.database,
      ...(values.password ? { password: values.password } : {}),
    });
    console.log(`Role ${values.role} may now read the views of schema ${lookupSchema} (and nothing else).`);
  });
} catch (error) {
  fail((error as Error).message);
}
