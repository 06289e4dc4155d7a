/** The Markdown page `npm run docs:schema` writes to docs/schema.md: the Mermaid diagram and a table per table. */
import { commentOf, keysOf, toMermaid } from './mermaid.js';
import type { SchemaModel } from './schema-model.js';

/** The Markdown page written to docs/schema.md. */
export function toMarkdown(model: SchemaModel): string {
  const tables = model.tables
    .map((t) => {
      const head = `### \`${t.name}\` — ${t.entities.join(', ')}${t.discriminator ? ` (single table, discriminator \`${t.discriminator}\`)` : ''}`;
      const rows = t.columns.map(
        (c) =>
          `| \`${c.name}\` | \`${c.type}\` | ${keysOf(c)} | ${c.nullable ? 'yes' : ''} | \`${c.property}\` | ${commentOf(c).replace(/\|/g, '\\|')} |`,
      );
      const fks = model.relations
        .filter((r) => r.from === t.name)
        .map(
          (r) =>
            `- \`${r.columns.join(', ')}\` → \`${r.to}.${r.toColumns.join(', ')}\`${r.onDelete ? ` (on delete ${r.onDelete})` : ''}`,
        );
      const extra = [
        ...fks,
        ...(t.indexes.length ? [`- indexes: ${t.indexes.map((i) => `\`${i}\``).join(', ')}`] : []),
        ...(t.checks.length ? [`- checks: ${t.checks.map((i) => `\`${i}\``).join(', ')}`] : []),
      ];
      return [
        head,
        '',
        '| column | type | key | null | property | note |',
        '| --- | --- | --- | --- | --- | --- |',
        ...rows,
        '',
        ...extra,
      ].join('\n');
    })
    .join('\n\n');
  return `<!-- Generated from MikroORM's metadata by \`npm run docs:schema\` (src/cli/export-schema-diagram.ts). Do not edit. -->
# Database schema

The tables, columns and foreign keys of the Aether Identity Database, as MikroORM maps them.
The same diagram is on the studio's Schema page (\`npm run studio\`) and in [schema.svg](schema.svg).

\`\`\`mermaid
${toMermaid(model)}\`\`\`

## Tables

${tables}
`;
}
