/**
 * Settings for command-line entry points (the MikroORM CLI, `npm start`, scripts): reads `.env`,
 * resolves the database, checks that it answers, and on failure prints one line and exits non-zero.
 */
import { ConfigurationError, describeTarget } from './database-url.js';
import { type DatabaseSettings, resolveDatabaseSettings } from './database-settings.js';
import { loadEnvFile } from './env-file.js';
import { DatabaseUnavailableError, preflight } from './preflight.js';

/** `.env`, then the settings; a configuration problem is one line and exit status 1. */
export async function openCliSettings(): Promise<DatabaseSettings> {
  try {
    const file = loadEnvFile();
    const settings = await resolveDatabaseSettings();
    // the embedded server's own line names the file; a configured server gets this one
    if (file && !settings.embedded) {
      const from = file.applied.includes('DATABASE_URL')
        ? `from ${file.file}`
        : `from the environment (read ${file.file})`;
      console.error(`[aether] using DATABASE_URL ${from}: ${describeTarget(settings.direct)}`);
    }
    return settings;
  } catch (error) {
    return exitWithOneLine(error);
  }
}

export async function openSchemaSettings(): Promise<DatabaseSettings> {
  const settings = await openCliSettings();
  try {
    await preflight(settings.direct);
    return settings;
  } catch (error) {
    return exitWithOneLine(error);
  }
}

function exitWithOneLine(error: unknown): never {
  if (error instanceof ConfigurationError || error instanceof DatabaseUnavailableError) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
