import type { Refusal } from '../context.js';
import type { ActorChoice, AliasRow, DomainRow, MailboxRow, Page } from '../queries.js';
import {
  type Html,
  type PageContext,
  actAs,
  badge,
  bytes,
  empty,
  filterSelect,
  href,
  html,
  kept,
  pager,
  plural,
  postForm,
  quotaBar,
  searchBar,
  statusBadge,
  when,
} from './html.js';
import { layout } from './layout.js';

export interface DomainListQuery {
  q?: string | undefined;
  owner?: string | undefined;
  verified?: string | undefined;
  status?: string | undefined;
  after?: string | undefined;
}

export function domainsPage(
  ctx: PageContext,
  page: Page<DomainRow>,
  query: DomainListQuery,
  ownerEmail?: string,
): Html {
  const link = (after: string | null) => href('/domains', { ...query, after });
  const filters = html` ${query.owner ? html`<input type="hidden" name="owner" value="${query.owner}" />` : ''}
  ${filterSelect('verified', 'verified', query.verified, [
    ['yes', 'yes'],
    ['no', 'no'],
  ])}
  ${filterSelect('status', 'status', query.status, [
    ['active', 'active'],
    ['suspended', 'suspended'],
  ])}`;
  const body = html` <section class="card">
    ${ownerEmail ? html`<p class="filter-note">Owned by <a href="/users/${query.owner}">${ownerEmail}</a> · <a href="/domains">all domains</a></p>` : ''}
    ${searchBar('/domains', query.q, 'Search domain name', filters)}
    ${
      page.items.length === 0
        ? empty('No domain matches.')
        : html`<table class="table">
            <thead>
              <tr>
                <th>Domain</th>
                <th>Owner</th>
                <th>Verified</th>
                <th>Status</th>
                <th class="num">Mailboxes</th>
                <th class="num">Aliases</th>
                <th class="num">Storage</th>
                <th>Added</th>
              </tr>
            </thead>
            <tbody>
              ${page.items.map(
                (d) =>
                  html`<tr>
                    <td><a href="/domains/${d.id}">${d.displayName}</a></td>
                    <td><a href="/users/${d.ownerId}">${d.ownerEmail}</a></td>
                    <td>${d.verified ? badge('verified', 'ok') : badge('unverified', 'warn')}</td>
                    <td>${statusBadge(d.status)}</td>
                    <td class="num"><a href="${href('/mailboxes', { domain: d.id })}">${d.mailboxCount}</a></td>
                    <td class="num"><a href="${href('/aliases', { domain: d.id })}">${d.aliasCount}</a></td>
                    <td class="num">${bytes(d.storageBytes)}</td>
                    <td class="nowrap">${when(d.createdAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${pager(page, 'domain', link, !query.after)}
  </section>`;
  return layout(ctx, { title: 'Domains', section: 'domains' }, body);
}

function limit(n: number, unit: (n: number) => string = String): string {
  return n === 0 ? 'unlimited' : unit(n);
}

export function domainPage(
  ctx: PageContext,
  domain: DomainRow,
  mailboxes: Page<MailboxRow>,
  aliases: Page<AliasRow>,
  choices: ActorChoice[],
  refusal?: Refusal,
): Html {
  const record = domain.verificationRecord;
  const owner = domain.ownerId;
  const body = html` <div class="split">
    <div class="grow">
      <section class="card ${domain.verified ? '' : 'attention'}">
        <h2>Verification</h2>
        ${
          domain.verified
            ? html`<p>
                ${badge('verified', 'ok')} on ${when(domain.verifiedAt)}. The domain receives mail while it is active.
              </p>`
            : html`<p>
                ${badge('unverified', 'warn')} The domain receives no mail until its owner proves control of it. Publish
                this DNS record, then verify:
              </p>`
        }
        <dl class="record" data-testid="txt-record">
          <dt>Type</dt>
          <dd><code>${record.type}</code></dd>
          <dt>Name</dt>
          <dd><code class="txt-name">${record.name}</code></dd>
          <dt>Value</dt>
          <dd><code class="txt-value">${record.value}</code></dd>
        </dl>
        ${postForm(
          ctx,
          { action: `/domains/${domain.id}`, name: 'domain-op', refusal, class: 'form inline' },
          html` <button type="submit" name="op" value="verify" class="primary">
              ${domain.verified ? 'Verify again' : 'Verify now'}
            </button>
            ${
              domain.status === 'active'
                ? html`<button type="submit" name="op" value="suspend" class="danger">Suspend domain</button>`
                : html`<button type="submit" name="op" value="activate">Activate domain</button>`
            }
            ${actAs(choices, owner, refusal, 'domain-op')}`,
        )}
      </section>

      <section class="card">
        <h2>Mailboxes <span class="count">${mailboxes.total}</span></h2>
        ${
          mailboxes.items.length === 0
            ? empty('No mailbox on this domain yet.')
            : html`<table class="table">
                <thead>
                  <tr>
                    <th>Address</th>
                    <th>Status</th>
                    <th class="wide">Quota</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  ${mailboxes.items.map(
                    (m) =>
                      html`<tr>
                        <td><a href="/mailboxes/${m.id}">${m.address}</a></td>
                        <td>${statusBadge(m.status)}</td>
                        <td class="wide">${quotaBar(m.usedBytes, m.quotaBytes)}</td>
                        <td class="nowrap">${when(m.createdAt)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        ${mailboxes.next ? html`<p class="more"><a href="${href('/mailboxes', { domain: domain.id })}">All ${plural(mailboxes.total, 'mailbox', 'mailboxes')} »</a></p>` : ''}
      </section>

      <section class="card">
        <h2>Aliases <span class="count">${aliases.total}</span></h2>
        ${
          aliases.items.length === 0
            ? empty('No alias on this domain yet.')
            : html`<table class="table">
                <thead>
                  <tr>
                    <th>Address</th>
                    <th>Forwards to</th>
                    <th>Created</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${aliases.items.map(
                    (a) =>
                      html`<tr>
                        <td>
                          ${a.catchAll ? html`${badge('catch-all', 'info')} <span class="muted">${a.address}</span>` : a.address}
                        </td>
                        <td>${a.destinations.map((d, i) => html`${i > 0 ? ', ' : ''}${d}`)}</td>
                        <td class="nowrap">${when(a.createdAt)}</td>
                        <td>
                          ${postForm(
                            ctx,
                            {
                              action: `/domains/${domain.id}/aliases/${a.id}/delete`,
                              name: `delete-alias-${a.id}`,
                              refusal,
                              class: 'form inline',
                            },
                            html`<input type="hidden" name="actor" value="${owner}" /><button
                                type="submit"
                                class="small danger"
                              >
                                Remove
                              </button>`,
                          )}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        ${aliases.next ? html`<p class="more"><a href="${href('/aliases', { domain: domain.id })}">All ${plural(aliases.total, 'alias', 'aliases')} »</a></p>` : ''}
      </section>
    </div>

    <aside class="side">
      <section class="card">
        <h2>Create a mailbox</h2>
        ${postForm(
          ctx,
          { action: `/domains/${domain.id}/mailboxes`, name: 'create-mailbox', refusal },
          html` <label
              >Address
              <input
                type="text"
                name="address"
                required
                placeholder="name@${domain.name}"
                autocomplete="off"
                value="${kept(refusal, 'create-mailbox', 'address')}"
            /></label>
            <label
              >Quota in MiB <span class="muted">(empty: ${bytes(domain.limits.defaultQuotaBytes)}; 0: unlimited)</span>
              <input
                type="text"
                name="quotaMiB"
                inputmode="decimal"
                autocomplete="off"
                value="${kept(refusal, 'create-mailbox', 'quotaMiB')}"
            /></label>
            ${actAs(choices, owner, refusal, 'create-mailbox')}
            <button type="submit" class="primary">Create mailbox</button>`,
        )}
      </section>
      <section class="card">
        <h2>Add an alias</h2>
        ${postForm(
          ctx,
          { action: `/domains/${domain.id}/aliases`, name: 'add-alias', refusal },
          html` <label
              >Address
              <input
                type="text"
                name="source"
                required
                placeholder="sales@${domain.name}"
                autocomplete="off"
                value="${kept(refusal, 'add-alias', 'source')}"
            /></label>
            <label
              >Forwards to <span class="muted">(one or more, comma-separated)</span>
              <input
                type="text"
                name="destinations"
                required
                autocomplete="off"
                value="${kept(refusal, 'add-alias', 'destinations')}"
            /></label>
            ${actAs(choices, owner, refusal, 'add-alias')}
            <button type="submit">Add alias</button>`,
        )}
      </section>
      <section class="card">
        <h2>Catch-all</h2>
        <p class="hint">Receives mail for every address on ${domain.displayName} that nothing else takes.</p>
        ${postForm(
          ctx,
          { action: `/domains/${domain.id}/catch-all`, name: 'add-catch-all', refusal },
          html` <label
              >Forwards to
              <input
                type="text"
                name="destinations"
                required
                autocomplete="off"
                value="${kept(refusal, 'add-catch-all', 'destinations')}"
            /></label>
            ${actAs(choices, owner, refusal, 'add-catch-all')}
            <button type="submit">Add catch-all</button>`,
        )}
      </section>
      <section class="card">
        <h2>Details</h2>
        <dl class="facts">
          <dt>Owner</dt>
          <dd><a href="/users/${owner}">${domain.ownerEmail}</a></dd>
          <dt>Stored name</dt>
          <dd><code>${domain.name}</code></dd>
          <dt>Status</dt>
          <dd>${statusBadge(domain.status)}</dd>
          <dt>Storage</dt>
          <dd>${bytes(domain.storageBytes)}</dd>
          <dt>Max mailboxes</dt>
          <dd>${limit(domain.limits.maxMailboxes)}</dd>
          <dt>Max aliases</dt>
          <dd>${limit(domain.limits.maxAliases)}</dd>
          <dt>Default quota</dt>
          <dd>${limit(domain.limits.defaultQuotaBytes, bytes)}</dd>
          <dt>Max quota</dt>
          <dd>${limit(domain.limits.maxQuotaBytes, bytes)}</dd>
          <dt>Added</dt>
          <dd>${when(domain.createdAt)}</dd>
        </dl>
      </section>
    </aside>
  </div>`;
  return layout(
    ctx,
    {
      title: domain.displayName,
      section: 'domains',
      crumbs: [
        { label: 'Users', href: '/users' },
        { label: domain.ownerEmail, href: `/users/${owner}` },
        { label: domain.displayName },
      ],
      heading: html`${domain.displayName} ${domain.verified ? badge('verified', 'ok') : badge('unverified', 'warn')}
      ${domain.status === 'active' ? '' : statusBadge(domain.status)}`,
    },
    body,
  );
}
