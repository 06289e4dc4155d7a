/** The schema model as Mermaid `erDiagram` text (docs/schema.md, which GitHub renders). */
import type { DiagramColumn, SchemaModel } from './schema-model.js';

export function keysOf(c: DiagramColumn): string {
  return [c.pk && 'PK', c.fk && 'FK', c.unique && !c.pk && 'UK'].filter(Boolean).join(', ');
}

export function commentOf(c: DiagramColumn): string {
  return [c.onlyFor && `${c.onlyFor} only`, c.nullable && 'nullable', c.values.length > 0 && c.values.join(' | ')]
    .filter(Boolean)
    .join('; ');
}

/**
 * Mermaid `erDiagram` text: parent `||--o{` child for every foreign key, then a box per table with
 * its columns (`columns: false`: the relations alone, the README's overview).
 */
export function toMermaid(model: SchemaModel, { columns = true }: { columns?: boolean } = {}): string {
  const lines = ['erDiagram'];
  for (const r of model.relations) {
    lines.push(`  ${r.to} ${r.nullable ? '|o' : '||'}--o{ ${r.from} : "${r.columns.join(', ')}"`);
  }
  for (const t of columns ? model.tables : []) {
    lines.push(`  ${t.name} {`);
    for (const c of t.columns) {
      const keys = keysOf(c);
      const comment = commentOf(c).replaceAll('"', "'");
      lines.push(
        `    ${c.type.replace(/\s+/g, '_')} ${c.name}${keys ? ` ${keys}` : ''}${comment ? ` "${comment}"` : ''}`,
      );
    }
    lines.push('  }');
  }
  return `${lines.join('\n')}\n`;
}
