import { raw } from 'hono/html';
import { Badge } from '../components/badges.js';
import { Card } from '../components/details.js';
import { Layout, type PageContext } from '../components/layout.js';
import { type Column, Table } from '../components/table.js';
import type { SchemaModel } from '../../infrastructure/persistence/schema-diagram/index.js';
import { toMermaid, toSvg } from '../../infrastructure/persistence/schema-diagram/index.js';

type SchemaTable = SchemaModel['tables'][number];
type SchemaColumn = SchemaTable['columns'][number];

const columnColumns: Column<SchemaColumn>[] = [
  { head: 'Column', cell: (c) => <code>{c.name}</code> },
  { head: 'Type', cell: (c) => <code class="muted">{c.type}</code> },
  {
    head: 'Key',
    cell: (c) => (
      <>
        {c.pk ? <Badge tone="warn">PK</Badge> : null} {c.fk ? <Badge tone="info">FK</Badge> : null}{' '}
        {c.unique && !c.pk ? <Badge>UK</Badge> : null}
      </>
    ),
  },
  { head: 'Property', cell: (c) => <code>{c.property}</code> },
  {
    head: 'Note',
    cellClass: 'small',
    cell: (c) =>
      [c.onlyFor ? `${c.onlyFor} only` : '', c.nullable ? 'nullable' : '', c.values.join(' | ')]
        .filter(Boolean)
        .join('; '),
  },
];

function TableCard(props: { model: SchemaModel; table: SchemaTable }) {
  const t = props.table;
  const foreignKeys = props.model.relations.filter((r) => r.from === t.name);
  return (
    <section class="card" id={`table-${t.name}`}>
      <h2>
        <code>{t.name}</code> <span class="muted heading-sub">{t.entities.join(', ')}</span>
      </h2>
      {t.discriminator ? (
        <p class="hint">
          Single-table inheritance: <code>{t.discriminator}</code> tells {t.entities.slice(1).join(' from ')}.
        </p>
      ) : null}
      <Table rows={t.columns} columns={columnColumns} class="table compact" />
      {foreignKeys.length ? (
        <ul class="fks">
          {foreignKeys.map((r) => (
            <li>
              <code>{r.columns.join(', ')}</code> →{' '}
              <a href={`#table-${r.to}`}>
                <code>
                  {r.to}.{r.toColumns.join(', ')}
                </code>
              </a>
              {r.onDelete ? (
                <>
                  {' '}
                  <span class="muted">on delete {r.onDelete}</span>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {t.indexes.length ? <p class="small muted">Indexes: {t.indexes.join(', ')}</p> : null}
      {t.checks.length ? <p class="small muted">Checks: {t.checks.join(', ')}</p> : null}
    </section>
  );
}

export function schemaPage(ctx: PageContext, model: SchemaModel) {
  // the SVG is generated from the ORM's metadata by our own code, which escapes every name in it
  const svg = raw(toSvg(model));
  return (
    <Layout ctx={ctx} title="Schema" section="schema" wide>
      <Card>
        <p>
          Drawn from MikroORM's metadata (<code>orm.getMetadata()</code>): {model.tables.length} tables and{' '}
          {model.relations.length} foreign keys, with the entities mapped to each table. The same diagram is in{' '}
          <code>docs/schema.md</code> (Mermaid) and <code>docs/schema.svg</code>; <code>npm run docs:schema</code>{' '}
          writes them.
        </p>
        <p class="legend">
          <span class="key key-pk">PK</span> primary key <span class="key key-fk">FK</span> foreign key{' '}
          <span class="key key-uk">UK</span> unique · <em>mailbox</em>/<em>alias</em>: column of one kind in a
          single-table hierarchy · lines run from a foreign key (crow’s foot: many) to the key it references (bar: one).
        </p>
        <figure class="erd-wrap">{svg}</figure>
        <p class="small">
          <a href="/schema.svg">Open the diagram at full size</a>
        </p>
      </Card>

      <div class="schema-tables">
        {model.tables.map((t) => (
          <TableCard model={model} table={t} />
        ))}
      </div>

      <details class="card">
        <summary>Mermaid source</summary>
        <pre class="code">{toMermaid(model)}</pre>
      </details>
    </Layout>
  );
}
