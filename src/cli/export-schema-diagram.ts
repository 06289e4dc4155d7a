/**
 * `npm run docs:schema`: writes the entity-relationship diagram drawn from MikroORM's metadata to
 * docs/schema.md (Mermaid, rendered by GitHub) and docs/schema.svg, and the README's overview (the
 * relations alone). Needs no database: the metadata comes from the mappings alone.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  offlineOrm,
  schemaModel,
  toMarkdown,
  toSvg,
  withReadmeDiagram,
} from '../infrastructure/persistence/schema-diagram/index.js';
import { commandLine } from './command-line.js';

commandLine(
  `Usage: npm run docs:schema

Writes docs/schema.md (Mermaid), docs/schema.svg and the README's overview diagram from the
MikroORM metadata; needs no database.`,
  {},
);

const orm = offlineOrm();
try {
  const model = schemaModel(orm.getMetadata());
  const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
  mkdirSync(docs, { recursive: true });
  writeFileSync(`${docs}schema.md`, toMarkdown(model));
  writeFileSync(`${docs}schema.svg`, toSvg(model, { standalone: true }));
  const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
  writeFileSync(readme, withReadmeDiagram(readFileSync(readme, 'utf8'), model));
  console.log(
    `Wrote docs/schema.md, docs/schema.svg and README.md's diagram (${model.tables.length} tables, ${model.relations.length} foreign keys).`,
  );
} finally {
  await orm.close(true);
}
