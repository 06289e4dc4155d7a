/** The ORM the diagram is drawn from when no database is at hand (`npm run docs:schema`). */
import { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '../../database/database-settings.js';
import { createOrmConfig } from '../../database/orm-config.js';

/** An ORM that only discovers the mappings and is never connected: enough to draw the diagram. */
export function offlineOrm(): MikroORM {
  const offline = {
    source: 'schema diagram (offline)',
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    password: '',
    database: 'aether',
    schema: 'public',
    options: {},
  };
  const settings: DatabaseSettings = {
    direct: offline,
    application: offline,
    replicas: [],
    embedded: false,
    poolMax: 1,
    statementTimeoutMs: 1000,
  };
  return new MikroORM(createOrmConfig(settings));
}
