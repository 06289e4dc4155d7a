/**
 * Settings for command-line entry points (the MikroORM CLI, `npm start`, scripts): resolves the
 * database, checks that it answers, and on failure prints one line and exits non-zero.
 */
import { ConfigurationError } from './database-url.js';
import { type DatabaseSettings, resolveDatabaseSettings } from './database-settings.js';
import { DatabaseUnavailableError, preflight } from './preflight.js';

export async function openSchemaSettings(): Promise<DatabaseSettings> {
  try {
    const settings = await resolveDatabaseSettings();
    await preflight(settings.direct);
    return settings;
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof DatabaseUnavailableError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}
