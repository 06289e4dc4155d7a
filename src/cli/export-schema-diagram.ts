/**
 * `npm run docs:schema`: writes the entity-relationship diagram drawn from MikroORM's metadata to
 * docs/schema.md (Mermaid, rendered by GitHub) and docs/schema.svg. Needs no database: the
 * metadata comes from the mappings alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../infrastructure/database/orm-config.js';
import type { DatabaseSettings } from '../infrastructure/database/database-settings.js';
import { schemaModel, toMarkdown, toSvg } from '../studio/schema-diagram.js';

/** The ORM is created to discover the mappings and is never connected. */
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

const orm = new MikroORM(createOrmConfig(settings));
try {
  const model = schemaModel(orm.getMetadata());
  const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
  mkdirSync(docs, { recursive: true });
  writeFileSync(`${docs}schema.md`, toMarkdown(model));
  writeFileSync(`${docs}schema.svg`, toSvg(model, { standalone: true }));
  console.log(
    `Wrote docs/schema.md and docs/schema.svg (${model.tables.length} tables, ${model.relations.length} foreign keys).`,
  );
} finally {
  await orm.close(true);
}
