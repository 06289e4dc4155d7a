/**
 * The schema as the diagram draws it, read from MikroORM's metadata (never a hand-made copy): one
 * table per entity root (single-table-inheritance children folded in) with its columns, one
 * relation per foreign key. Mermaid, SVG and Markdown are all rendered from this one model.
 */
import type { EntityMetadata, EntityProperty, MetadataStorage } from '@mikro-orm/core';

export interface DiagramColumn {
  name: string;
  type: string;
  property: string;
  pk: boolean;
  fk: boolean;
  unique: boolean;
  nullable: boolean;
  /** Allowed values of an enum column. */
  values: string[];
  /** For a single-table-inheritance child column: the entity that owns it. */
  onlyFor: string | null;
}

export interface DiagramTable {
  name: string;
  /** Mapped entity classes: the root first, then single-table-inheritance children. */
  entities: string[];
  discriminator: string | null;
  columns: DiagramColumn[];
  indexes: string[];
  checks: string[];
}

export interface DiagramRelation {
  /** The table holding the foreign key. */
  from: string;
  columns: string[];
  to: string;
  toColumns: string[];
  /** `Entity.property` that maps the foreign key. */
  property: string;
  nullable: boolean;
  onDelete: string | null;
}

export interface SchemaModel {
  tables: DiagramTable[];
  relations: DiagramRelation[];
}

const isRelationOwner = (p: EntityProperty) => p.kind === 'm:1' || (p.kind === '1:1' && p.owner === true);
const isColumn = (p: EntityProperty) =>
  p.persist !== false && (p.kind === 'scalar' || isRelationOwner(p)) && (p.fieldNames?.length ?? 0) > 0;

/** Tables, columns and foreign keys as MikroORM maps them. */
export function schemaModel(metadata: MetadataStorage): SchemaModel {
  const all = [...metadata.getAll().values()].filter((m) => !m.embeddable && !m.virtual && m.tableName);
  const roots = all.filter((m) => m.root === m || !m.root).sort((a, b) => a.tableName.localeCompare(b.tableName));
  const tables: DiagramTable[] = [];
  const relations = new Map<string, DiagramRelation>();

  for (const root of roots) {
    const children = all
      .filter((m) => m !== root && m.root === root)
      .sort((a, b) => a.className.localeCompare(b.className));
    const columns = new Map<string, DiagramColumn>();
    const childOwned = (prop: EntityProperty): string | null => {
      if (children.length === 0) return null;
      const owners = children.filter((c) => c.properties[prop.name as never]);
      return owners.length === 1 && root.abstract ? owners[0]!.className : null;
    };
    for (const meta of [root, ...children]) {
      for (const prop of Object.values(meta.properties) as EntityProperty[]) {
        if (!isColumn(prop)) continue;
        const fk = isRelationOwner(prop);
        prop.fieldNames.forEach((name, i) => {
          if (columns.has(name)) return;
          columns.set(name, {
            name,
            type: prop.columnTypes?.[i] ?? String(prop.type),
            property: `${meta.className}.${prop.name}`,
            pk: Boolean(prop.primary),
            fk,
            unique: Boolean(prop.unique),
            nullable: Boolean(prop.nullable) && !childOwned(prop),
            values: prop.enum && Array.isArray(prop.items) ? prop.items.map(String) : [],
            onlyFor: meta === root ? childOwned(prop) : meta.className,
          });
        });
        if (fk && prop.targetMeta) {
          const key = `${root.tableName}.${prop.fieldNames.join(',')}`;
          if (!relations.has(key)) {
            relations.set(key, {
              from: root.tableName,
              columns: [...prop.fieldNames],
              to: (prop.targetMeta.root ?? prop.targetMeta).tableName,
              toColumns: [...(prop.referencedColumnNames ?? [])],
              property: `${meta.className}.${prop.name}`,
              nullable: Boolean(prop.nullable),
              onDelete: prop.deleteRule ?? null,
            });
          }
        }
      }
    }
    tables.push({
      name: root.tableName,
      entities: [root.className, ...children.map((c) => c.className)],
      discriminator: root.discriminatorColumn ? String(root.discriminatorColumn) : null,
      columns: [...columns.values()],
      indexes: namesOf(root, 'indexes').concat(namesOf(root, 'uniques')),
      checks: (root.checks ?? []).map((c) => c.name ?? '').filter(Boolean),
    });
  }
  return { tables, relations: [...relations.values()] };
}

function namesOf(meta: EntityMetadata, key: 'indexes' | 'uniques'): string[] {
  return (meta[key] ?? []).map((i) => (typeof i.name === 'string' ? i.name : '')).filter(Boolean);
}
