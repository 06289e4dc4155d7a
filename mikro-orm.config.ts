/**
 * The configuration the `mikro-orm` CLI loads. It reads `.env` (the environment wins), connects
 * with DATABASE_URL directly (never the pooler), starts the embedded PostgreSQL when DATABASE_URL
 * is unset, and reports a bad or unreachable database, or a failed command, in one line instead
 * of a stack trace.
 */
import { createOrmConfig } from './src/infrastructure/database/orm-config.js';
import { openSchemaSettings } from './src/infrastructure/database/cli-settings.js';

export default async () => createOrmConfig(await openSchemaSettings(), 'schema', { cli: true });
