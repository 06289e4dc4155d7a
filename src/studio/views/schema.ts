import { raw } from 'hono/html';
import type { SchemaModel } from '../schema-diagram.js';
import { toMermaid, toSvg } from '../schema-diagram.js';
import { type Html, type PageContext, badge, html } from './html.js';
import { layout } from './layout.js';

export function schemaPage(ctx: PageContext, model: SchemaModel): Html {
  // the SVG is generated from the ORM's metadata by our own code, which escapes every name in it
  const svg = raw(toSvg(model));
  const body = html` <section class="card">
      <p>
        Drawn from MikroORM's metadata (<code>orm.getMetadata()</code>): ${model.tables.length} tables and
        ${model.relations.length} foreign keys, with the entities mapped to each table. The same diagram is in
        <code>docs/schema.md</code> (Mermaid) and <code>docs/schema.svg</code>; <code>npm run docs:schema</code> writes
        them.
      </p>
      <p class="legend">
        <span class="key key-pk">PK</span> primary key <span class="key key-fk">FK</span> foreign key
        <span class="key key-uk">UK</span> unique · <em>mailbox</em>/<em>alias</em>: column of one kind in a
        single-table hierarchy · lines run from a foreign key (crow’s foot: many) to the key it references (bar: one).
      </p>
      <figure class="erd-wrap">${svg}</figure>
      <p class="small"><a href="/schema.svg">Open the diagram at full size</a></p>
    </section>

    <div class="schema-tables">
      ${model.tables.map(
        (t) =>
          html`<section class="card" id="table-${t.name}">
            <h2><code>${t.name}</code> <span class="muted heading-sub">${t.entities.join(', ')}</span></h2>
            ${t.discriminator ? html`<p class="hint">Single-table inheritance: <code>${t.discriminator}</code> tells ${t.entities.slice(1).join(' from ')}.</p>` : ''}
            <table class="table compact">
              <thead>
                <tr>
                  <th>Column</th>
                  <th>Type</th>
                  <th>Key</th>
                  <th>Property</th>
                  <th>Note</th>
                </tr>
              </thead>
              <tbody>
                ${t.columns.map(
                  (c) =>
                    html`<tr>
                      <td><code>${c.name}</code></td>
                      <td><code class="muted">${c.type}</code></td>
                      <td>
                        ${c.pk ? badge('PK', 'warn') : ''} ${c.fk ? badge('FK', 'info') : ''}
                        ${c.unique && !c.pk ? badge('UK', 'muted') : ''}
                      </td>
                      <td><code>${c.property}</code></td>
                      <td class="small">
                        ${[c.onlyFor ? `${c.onlyFor} only` : '', c.nullable ? 'nullable' : '', c.values.join(' | ')].filter(Boolean).join('; ')}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
            ${
              model.relations.filter((r) => r.from === t.name).length
                ? html`<ul class="fks">
                    ${model.relations
                      .filter((r) => r.from === t.name)
                      .map(
                        (r) =>
                          html`<li>
                            <code>${r.columns.join(', ')}</code> →
                            <a href="#table-${r.to}"><code>${r.to}.${r.toColumns.join(', ')}</code></a
                            >${r.onDelete ? html` <span class="muted">on delete ${r.onDelete}</span>` : ''}
                          </li>`,
                      )}
                  </ul>`
                : ''
            }
            ${t.indexes.length ? html`<p class="small muted">Indexes: ${t.indexes.join(', ')}</p>` : ''}
            ${t.checks.length ? html`<p class="small muted">Checks: ${t.checks.join(', ')}</p>` : ''}
          </section>`,
      )}
    </div>

    <details class="card">
      <summary>Mermaid source</summary>
      <pre class="code">${toMermaid(model)}</pre>
    </details>`;
  return layout(ctx, { title: 'Schema', section: 'schema', wide: true }, body);
}
