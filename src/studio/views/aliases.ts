import type { AliasRow, Page } from '../queries.js';
import { type Html, type PageContext, badge, empty, href, html, pager, searchBar, when } from './html.js';
import { layout } from './layout.js';

export interface AliasListQuery {
  q?: string | undefined;
  domain?: string | undefined;
  after?: string | undefined;
}

export function aliasesPage(ctx: PageContext, page: Page<AliasRow>, query: AliasListQuery, domainName?: string): Html {
  const link = (after: string | null) => href('/aliases', { ...query, after });
  const body = html` <section class="card">
    ${domainName ? html`<p class="filter-note">On <a href="/domains/${query.domain}">${domainName}</a> · <a href="/aliases">all aliases</a></p>` : ''}
    ${searchBar('/aliases', query.q, 'Search address', query.domain ? html`<input type="hidden" name="domain" value="${query.domain}" />` : html``)}
    ${
      page.items.length === 0
        ? empty('No alias matches. Aliases are added on a domain’s page.')
        : html`<table class="table">
            <thead>
              <tr>
                <th>Address</th>
                <th>Forwards to</th>
                <th>Domain</th>
                <th>Owner</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              ${page.items.map(
                (a) =>
                  html`<tr>
                    <td>
                      ${a.catchAll ? html`${badge('catch-all', 'info')} <span class="muted">${a.address}</span>` : a.address}
                    </td>
                    <td>${a.destinations.join(', ')}</td>
                    <td><a href="/domains/${a.domainId}">${a.domainName}</a></td>
                    <td><a href="/users/${a.ownerId}">${a.ownerEmail}</a></td>
                    <td class="nowrap">${when(a.createdAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${pager(page, 'alias', link, !query.after, 'aliases')}
  </section>`;
  return layout(ctx, { title: 'Aliases', section: 'aliases' }, body);
}
