/**
 * The entity-relationship diagram, drawn from MikroORM's metadata: `schemaModel(metadata)` reads
 * the mapped tables, columns and foreign keys; `toMermaid`, `toSvg` and `toMarkdown` render that
 * one model. Used by the studio's Schema page and by `npm run docs:schema`
 * (src/cli/export-schema-diagram.ts). It lives in persistence because it reads the mappings'
 * metadata (and, offline, the ORM configuration): the studio and the CLI, outer layers, import it.
 */
export { toMarkdown, withReadmeDiagram } from './markdown.js';
export { toMermaid } from './mermaid.js';
export { offlineOrm } from './offline-orm.js';
export {
  type DiagramColumn,
  type DiagramRelation,
  type DiagramTable,
  schemaModel,
  type SchemaModel,
} from './schema-model.js';
export { toSvg } from './svg.js';
