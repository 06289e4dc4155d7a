/**
 * `npm run studio` / `make db-studio`: Aether Studio on http://127.0.0.1, on the same database as
 * everything else (DATABASE_URL, or the embedded PostgreSQL). STUDIO_PORT picks the port.
 */
import { type Aether, openAether } from '../infrastructure/aether.js';
import { openCliSettings } from '../infrastructure/database/cli-settings.js';
import { ConfigurationError } from '../infrastructure/database/database-url.js';
import { DatabaseUnavailableError } from '../infrastructure/database/preflight.js';
import { type RunningStudio, startStudio } from '../studio/server.js';
import { commandLine } from './command-line.js';

commandLine(
  `Usage: npm run studio

Aether Studio in the browser, on the database of every other command (DATABASE_URL, or the
embedded PostgreSQL). STUDIO_PORT picks the port (0: any free one). Prints a one-time link.`,
  {},
);

function portFromEnv(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`error: STUDIO_PORT must be a port number from 0 to 65535 (got "${raw}")`);
    process.exit(1);
  }
  return port;
}

async function open(): Promise<Aether> {
  try {
    // the command reads .env (openAether itself never does) and names the file it read
    return await openAether({ settings: await openCliSettings() });
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof DatabaseUnavailableError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function start(aether: Aether, port: number | undefined): Promise<RunningStudio> {
  try {
    return await startStudio({ aether, ...(port === undefined ? {} : { port }) });
  } catch (error) {
    await aether.close();
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === 'EADDRINUSE'
        ? `error: port ${port} is in use; set STUDIO_PORT to another one (or 0 for any free port)`
        : error,
    );
    process.exit(1);
  }
}

const port = portFromEnv(process.env.STUDIO_PORT);
const aether = await open();
const studio = await start(aether, port);

console.log(`Aether Studio is running on the ${aether.settings.embedded ? 'embedded' : 'configured'} database.

  Open ${studio.url}

The link carries a one-time access token: the first browser to open it is signed in, and
nobody after it. For another browser, press Enter here (or use "Let another browser in" at the
foot of any studio page) for a new link. Press Ctrl+C to stop.`);

// Enter on the terminal: a new one-time link, for another browser (no restart needed)
if (process.stdin.isTTY) {
  process.stdin.on('data', () => console.log(`  New one-time link: ${studio.issueLink()}`));
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await studio.close().catch(() => {});
  await aether.close().catch(() => {});
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
