/**
 * `npm run db:serve`: keeps the embedded PostgreSQL up until Ctrl+C, so that psql, pgAdmin or
 * another tool can use it between project commands. Prints its full URL.
 */
import { openSchemaSettings } from '../infrastructure/database/cli-settings.js';
import { formatDatabaseUrl } from '../infrastructure/database/database-url.js';
import { releaseEmbeddedPostgres } from '../infrastructure/database/embedded-postgres.js';
import { commandLine, fail } from './command-line.js';

commandLine(
  `Usage: npm run db:serve

Keeps the embedded PostgreSQL running until Ctrl+C and prints its URL (password included).
With DATABASE_URL set there is nothing to keep up, and the command says so.`,
  {},
);
const settings = await openSchemaSettings();
if (!settings.embedded) fail('DATABASE_URL is set: that server runs on its own; `npm run db:url` prints its URL');
// before the URL is printed: whoever sees it may press Ctrl+C at once
const stop = () => {
  releaseEmbeddedPostgres();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
console.log(`Embedded PostgreSQL: ${formatDatabaseUrl(settings.direct)}
Press Ctrl+C to stop (the server stops with the last project process).`);

// nothing else keeps the event loop alive
setInterval(() => {}, 1 << 30);
