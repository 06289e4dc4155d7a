/**
 * `npm run db:url`: prints the full URL of the database the project uses (password included), for
 * psql or pgAdmin. With DATABASE_URL unset that is the embedded PostgreSQL, which runs only while
 * a project process does: keep it up with `npm run db:serve` while you connect.
 */
import { openCliSettings } from '../infrastructure/database/cli-settings.js';
import { formatDatabaseUrl } from '../infrastructure/database/database-url.js';
import { commandLine } from './command-line.js';

commandLine(
  `Usage: npm run db:url

Prints the full URL (password included) of DATABASE_URL or of the embedded PostgreSQL. The
embedded server lives only while a project process runs: \`npm run db:serve\` keeps it up.`,
  {},
);
const settings = await openCliSettings();
console.log(formatDatabaseUrl(settings.direct));
if (settings.embedded) {
  console.error(
    '[aether] the embedded server stops when the last project process ends; `npm run db:serve` keeps it up',
  );
}
