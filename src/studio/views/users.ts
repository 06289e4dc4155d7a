import type { Refusal } from '../context.js';
import type { ActorChoice, DomainRow, Page, UserRow } from '../queries.js';
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
  postForm,
  searchBar,
  stat,
  statusBadge,
  when,
} from './html.js';
import { layout } from './layout.js';

export interface UserListQuery {
  q?: string | undefined;
  status?: string | undefined;
  after?: string | undefined;
}

export function usersPage(ctx: PageContext, page: Page<UserRow>, query: UserListQuery, refusal?: Refusal): Html {
  const link = (after: string | null) => href('/users', { q: query.q, status: query.status, after });
  const body = html` <div class="split">
    <section class="card grow">
      ${searchBar(
        '/users',
        query.q,
        'Search email or name',
        filterSelect('status', 'status', query.status, [
          ['active', 'active'],
          ['suspended', 'suspended'],
        ]),
      )}
      ${
        page.items.length === 0
          ? empty(query.q || query.status ? 'No user matches.' : 'No users yet: register one.')
          : html`<table class="table">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Name</th>
                  <th>Status</th>
                  <th class="num">Domains</th>
                  <th class="num">Mailboxes</th>
                  <th class="num">Aliases</th>
                  <th class="num">Email</th>
                  <th class="num">Storage</th>
                  <th>Registered</th>
                </tr>
              </thead>
              <tbody>
                ${page.items.map(
                  (u) =>
                    html`<tr>
                      <td><a href="/users/${u.id}">${u.email}</a></td>
                      <td>${u.name ?? html`<span class="muted">—</span>`}</td>
                      <td>${statusBadge(u.status)}</td>
                      <td class="num"><a href="${href('/domains', { owner: u.id })}">${u.domainCount}</a></td>
                      <td class="num">${u.mailboxCount}</td>
                      <td class="num">${u.aliasCount}</td>
                      <td class="num">${u.emailCount}</td>
                      <td class="num">${bytes(u.storageBytes)}</td>
                      <td class="nowrap">${when(u.createdAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${pager(page, 'user', link, !query.after)}
    </section>

    <section class="card side">
      <h2>Register a user</h2>
      ${postForm(
        ctx,
        { action: '/users', name: 'register', refusal },
        html` <label
            >Email
            <input type="email" name="email" required autocomplete="off" value="${kept(refusal, 'register', 'email')}"
          /></label>
          <label
            >Name <span class="muted">(optional)</span>
            <input type="text" name="name" autocomplete="off" value="${kept(refusal, 'register', 'name')}"
          /></label>
          <label
            >Password <input type="password" name="password" required minlength="1" autocomplete="new-password"
          /></label>
          <p class="hint">At least 10 characters; stored as an argon2id hash by the user service.</p>
          <button type="submit" class="primary">Register</button>`,
      )}
    </section>
  </div>`;
  return layout(ctx, { title: 'Users', section: 'users' }, body);
}

export function userPage(
  ctx: PageContext,
  user: UserRow,
  domains: Page<DomainRow>,
  choices: ActorChoice[],
  refusal?: Refusal,
): Html {
  const body = html` <section class="stats">
      ${stat('domains', user.domainCount)} ${stat('mailboxes', user.mailboxCount)} ${stat('aliases', user.aliasCount)}
      ${stat('email', user.emailCount)} ${stat('storage', bytes(user.storageBytes))}
    </section>

    <div class="split">
      <section class="card grow">
        <h2>Domains</h2>
        ${
          domains.items.length === 0
            ? empty(`${user.email} owns no domain yet.`)
            : html`<table class="table">
                <thead>
                  <tr>
                    <th>Domain</th>
                    <th>Verified</th>
                    <th>Status</th>
                    <th class="num">Mailboxes</th>
                    <th class="num">Aliases</th>
                    <th class="num">Storage</th>
                    <th>Added</th>
                  </tr>
                </thead>
                <tbody>
                  ${domains.items.map(
                    (d) =>
                      html`<tr>
                        <td><a href="/domains/${d.id}">${d.displayName}</a></td>
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
        ${domains.next ? html`<p class="more"><a href="${href('/domains', { owner: user.id })}">All ${domains.total} domains »</a></p>` : ''}
      </section>

      <aside class="side">
        <section class="card">
          <h2>Add a domain</h2>
          ${postForm(
            ctx,
            { action: `/users/${user.id}/domains`, name: 'add-domain', refusal },
            html` <label
                >Domain name
                <input
                  type="text"
                  name="name"
                  required
                  placeholder="example.org"
                  autocomplete="off"
                  value="${kept(refusal, 'add-domain', 'name')}"
              /></label>
              ${actAs(choices, user.id, refusal, 'add-domain')}
              <button type="submit" class="primary">Add domain</button>`,
          )}
        </section>
        <section class="card">
          <h2>Account</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd>${user.name ?? html`<span class="muted">—</span>`}</dd>
            <dt>Status</dt>
            <dd>${statusBadge(user.status)}</dd>
            <dt>Registered</dt>
            <dd>${when(user.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>${when(user.updatedAt)}</dd>
            <dt>Id</dt>
            <dd><code class="id">${user.id}</code></dd>
          </dl>
          ${postForm(
            ctx,
            { action: `/users/${user.id}`, name: 'user-status', refusal, class: 'form inline' },
            user.status === 'active'
              ? html`<button type="submit" name="op" value="suspend" class="danger">Suspend user</button>`
              : html`<button type="submit" name="op" value="activate">Activate user</button>`,
          )}
        </section>
      </aside>
    </div>`;
  return layout(
    ctx,
    {
      title: user.email,
      section: 'users',
      crumbs: [{ label: 'Users', href: '/users' }, { label: user.email }],
      heading: html`${user.email} ${user.status === 'active' ? '' : statusBadge(user.status)}`,
    },
    body,
  );
}
