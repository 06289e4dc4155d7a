/**
 * The schema model as SVG, laid out here: referenced tables to the left of the tables that refer to
 * them, one line per foreign key. Presentation attributes only, so it works inline under a strict
 * CSP (the studio's Schema page) and as a standalone file (docs/schema.svg).
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { DiagramColumn, DiagramRelation, DiagramTable, SchemaModel } from './schema-model.js';

/** hono's escaping template, named for what it writes here (and so formatters leave the SVG alone). */
const svg = html;

const FONT = "ui-monospace, 'SF Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace";
const CHAR = 7.3; // width of one character at 12px in a monospace font, rounded up
const ROW = 20;
const HEAD = 44;
const PAD = 10;
const KEY_W = 26;
const GAP_X = 72;
const GAP_Y = 32;
const MARGIN = 24;
const COLORS = {
  box: '#ffffff',
  border: '#94a3b8',
  head: '#e0e7ff',
  headText: '#1e1b4b',
  sub: '#4f46e5',
  text: '#0f172a',
  type: '#64748b',
  pk: '#b45309',
  fk: '#2563eb',
  line: '#6366f1',
  zebra: '#f8fafc',
};

interface Box {
  table: DiagramTable;
  x: number;
  y: number;
  w: number;
  h: number;
  layer: number;
}

/** Column of a table in the layout: referenced tables to the left of the tables that refer to them. */
function layers(model: SchemaModel): Map<string, number> {
  const parents = new Map(
    model.tables.map((t) => [
      t.name,
      model.relations.filter((r) => r.from === t.name && r.to !== t.name).map((r) => r.to),
    ]),
  );
  const result = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = result.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle: break it here
    seen.add(name);
    const layer = Math.max(-1, ...(parents.get(name) ?? []).map((p) => visit(p, seen))) + 1;
    result.set(name, layer);
    return layer;
  };
  for (const t of model.tables) visit(t.name, new Set());
  return result;
}

function noteOf(c: DiagramColumn): string {
  return c.onlyFor ? c.onlyFor.toLowerCase() : c.nullable ? 'null' : '';
}

function layout(model: SchemaModel): { boxes: Map<string, Box>; width: number; height: number } {
  const layerOf = layers(model);
  const count = Math.max(0, ...layerOf.values()) + 1;
  const boxes = new Map<string, Box>();
  let x = MARGIN;
  let height = 0;
  for (let layer = 0; layer < count; layer++) {
    const tables = model.tables.filter((t) => layerOf.get(t.name) === layer);
    const w = Math.max(
      180,
      ...tables.flatMap((t) => [
        t.name.length * (CHAR + 1) + PAD * 2,
        t.entities.join(' · ').length * CHAR * 0.92 + PAD * 2,
        ...t.columns.map((c) => {
          const note = noteOf(c);
          return KEY_W + (c.name.length + 2 + c.type.length + (note ? note.length + 2 : 0)) * CHAR + PAD * 2;
        }),
      ]),
    );
    let y = MARGIN;
    for (const table of tables) {
      const h = HEAD + table.columns.length * ROW + 6;
      boxes.set(table.name, { table, x, y, w: Math.ceil(w), h, layer });
      y += h + GAP_Y;
    }
    height = Math.max(height, y - GAP_Y);
    x += Math.ceil(w) + GAP_X;
  }
  return { boxes, width: x - GAP_X + MARGIN, height: height + MARGIN };
}

function rowY(box: Box, column: string): number {
  const i = Math.max(
    0,
    box.table.columns.findIndex((c) => c.name === column),
  );
  return box.y + HEAD + i * ROW + ROW / 2;
}

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

function tableBox(box: Box): Markup {
  const { table, x, y, w, h } = box;
  const rows = table.columns.map((c, i) => {
    const top = y + HEAD + i * ROW;
    const base = top + 14;
    const key = c.pk ? 'PK' : c.fk ? 'FK' : c.unique ? 'UK' : '';
    const note = noteOf(c);
    return svg`<g>
      ${i % 2 === 1 ? svg`<rect x="${x + 1}" y="${top}" width="${w - 2}" height="${ROW}" fill="${COLORS.zebra}"/>` : ''}
      ${key ? svg`<text x="${x + PAD}" y="${base}" font-size="10" font-weight="700" fill="${c.pk ? COLORS.pk : c.fk ? COLORS.fk : COLORS.type}">${key}</text>` : ''}
      <text x="${x + PAD + KEY_W}" y="${base}" fill="${COLORS.text}" font-weight="${c.pk ? 700 : 400}">${c.name}</text>
      ${note ? svg`<text x="${x + PAD + KEY_W + (c.name.length + 1) * CHAR}" y="${base}" font-size="10" fill="${COLORS.type}" font-style="italic">${note}</text>` : ''}
      <text x="${x + w - PAD}" y="${base}" text-anchor="end" fill="${COLORS.type}">${c.type}</text>
    </g>`;
  });
  return svg`<g class="erd-table" id="erd-${table.name}">
    <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8" fill="${COLORS.box}" stroke="${COLORS.border}"/>
    <path d="M${x} ${y + HEAD}V${y + 8}a8 8 0 0 1 8-8H${x + w - 8}a8 8 0 0 1 8 8V${y + HEAD}Z" fill="${COLORS.head}" stroke="${COLORS.border}"/>
    <text x="${x + PAD}" y="${y + 19}" font-size="14" font-weight="700" fill="${COLORS.headText}">${table.name}</text>
    <text x="${x + PAD}" y="${y + 36}" font-size="11" fill="${COLORS.sub}">${table.entities.join(' · ')}</text>
    ${rows}
  </g>`;
}

function relationPath(r: DiagramRelation, boxes: Map<string, Box>, lane: number, bottom: number): Markup {
  const child = boxes.get(r.from);
  const parent = boxes.get(r.to);
  if (!child || !parent) return svg``;
  const sy = rowY(child, r.columns[0] ?? '');
  const ey = rowY(parent, r.toColumns[0] ?? parent.table.columns.find((c) => c.pk)?.name ?? '');
  let d: string;
  if (child === parent) {
    const x = child.x + child.w;
    d = `M${x} ${sy}h24V${ey}h-24`;
  } else if (child.layer === parent.layer + 1) {
    const sx = child.x;
    const ex = parent.x + parent.w;
    const dx = (sx - ex) / 2;
    d = `M${sx} ${sy}C${sx - dx} ${sy} ${ex + dx} ${ey} ${ex} ${ey}`;
  } else {
    // longer jumps run along a lane below every box, so they cross no table
    const sx = child.x;
    const ex = parent.x + parent.w;
    const y = bottom + 18 + lane * 16;
    const x1 = sx - 24 - lane * 10;
    const x2 = ex + 24 + lane * 10;
    d = `M${sx} ${sy}H${x1}V${y}H${x2}V${ey}H${ex}`;
  }
  const title = `${r.from}.${r.columns.join(', ')} → ${r.to}.${r.toColumns.join(', ')}${r.onDelete ? ` (on delete ${r.onDelete})` : ''}`;
  return svg`<path d="${d}" fill="none" stroke="${COLORS.line}" stroke-width="1.5" stroke-linejoin="round" marker-start="url(#erd-many)" marker-end="url(#erd-one)"><title>${title}</title></path>`;
}

/** The diagram as SVG markup; `standalone` adds the XML namespace and a white background. */
export function toSvg(model: SchemaModel, options: { standalone?: boolean } = {}): string {
  const { boxes, width: w0, height: h0 } = layout(model);
  const long = model.relations.filter((r) => {
    const c = boxes.get(r.from);
    const p = boxes.get(r.to);
    return c && p && c !== p && c.layer !== p.layer + 1;
  });
  const height = h0 + (long.length > 0 ? 18 + long.length * 16 : 0);
  const width = w0;
  const bottom = h0 - MARGIN;
  const paths = model.relations.map((r) => relationPath(r, boxes, Math.max(0, long.indexOf(r)), bottom));
  const markup = svg`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Entity-relationship diagram of the database" font-family="${FONT}" font-size="12" class="erd">
  <defs>
    <marker id="erd-many" viewBox="0 0 16 16" refX="1" refY="8" markerWidth="16" markerHeight="16" orient="auto" markerUnits="userSpaceOnUse">
      <path d="M1 8H15M1 2L9 8L1 14" fill="none" stroke="${COLORS.line}" stroke-width="1.5"/>
    </marker>
    <marker id="erd-one" viewBox="0 0 16 16" refX="15" refY="8" markerWidth="16" markerHeight="16" orient="auto" markerUnits="userSpaceOnUse">
      <path d="M15 8H1M9 2V14M5 2V14" fill="none" stroke="${COLORS.line}" stroke-width="1.5"/>
    </marker>
  </defs>
  ${options.standalone ? svg`<rect width="100%" height="100%" fill="#ffffff"/>` : ''}
  ${paths}
  ${[...boxes.values()].map(tableBox)}
</svg>`;
  return `${options.standalone ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}${sync(markup)}\n`;
}

function sync(markup: Markup): string {
  if (markup instanceof Promise) throw new Error('the diagram templates are synchronous');
  return markup.toString();
}
