import type { Dashboard } from '../queries.js';
import {
  type Html,
  type PageContext,
  bytes,
  empty,
  html,
  href,
  plural,
  quotaBar,
  stat,
  statusBadge,
  badge,
} from './html.js';
import { layout } from './layout.js';

export function dashboardPage(ctx: PageContext, data: Dashboard): Html {
  const t = data.totals;
  const body = html` <section class="stats">
      ${stat('users', t.users)} ${stat('domains', t.domains, `${t.verifiedDomains.toLocaleString('en')} verified`)}
      ${stat('mailboxes', t.mailboxes)} ${stat('aliases', t.aliases)} ${stat('folders', t.folders)}
      ${stat('email', t.emails)} ${stat('storage', bytes(t.storageBytes))}
    </section>

    ${
      t.users === 0
        ? html`<section class="card">
            <h2>An empty database</h2>
            <p>
              Start on the <a href="/users">Users</a> page: register a user, add a domain to them, publish its TXT
              record and verify it, then create mailboxes and deliver mail.
            </p>
          </section>`
        : ''
    }

    <div class="grid-2">
      <section class="card">
        <h2>Users by storage</h2>
        ${
          data.topUsers.length === 0
            ? empty('No users yet.')
            : html`<table class="table">
                <thead>
                  <tr>
                    <th>User</th>
                    <th class="num">Domains</th>
                    <th class="num">Mailboxes</th>
                    <th class="num">Aliases</th>
                    <th class="num">Email</th>
                    <th class="num">Storage</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.topUsers.map(
                    (u) =>
                      html`<tr>
                        <td>
                          <a href="/users/${u.id}">${u.email}</a
                          >${u.status === 'active' ? '' : html` ${statusBadge(u.status)}`}
                        </td>
                        <td class="num"><a href="${href('/domains', { owner: u.id })}">${u.domainCount}</a></td>
                        <td class="num">${u.mailboxCount}</td>
                        <td class="num">${u.aliasCount}</td>
                        <td class="num">${u.emailCount}</td>
                        <td class="num">${bytes(u.storageBytes)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        <p class="more"><a href="/users">All ${plural(t.users, 'user')} »</a></p>
      </section>

      <section class="card">
        <h2>Domains by storage</h2>
        ${
          data.topDomains.length === 0
            ? empty('No domains yet.')
            : html`<table class="table">
                <thead>
                  <tr>
                    <th>Domain</th>
                    <th>Owner</th>
                    <th class="num">Mailboxes</th>
                    <th class="num">Aliases</th>
                    <th class="num">Storage</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.topDomains.map(
                    (d) =>
                      html`<tr>
                        <td>
                          <a href="/domains/${d.id}">${d.displayName}</a>
                          ${d.verified ? '' : badge('unverified', 'warn')}${d.status === 'active' ? '' : statusBadge(d.status)}
                        </td>
                        <td><a href="/users/${d.ownerId}">${d.ownerEmail}</a></td>
                        <td class="num"><a href="${href('/mailboxes', { domain: d.id })}">${d.mailboxCount}</a></td>
                        <td class="num"><a href="${href('/aliases', { domain: d.id })}">${d.aliasCount}</a></td>
                        <td class="num">${bytes(d.storageBytes)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
        <p class="more"><a href="/domains">All ${plural(t.domains, 'domain')} »</a></p>
      </section>
    </div>

    <section class="card">
      <h2>Quota use: the fullest mailboxes</h2>
      ${
        data.fullestMailboxes.length === 0
          ? empty('No mailbox with a quota yet.')
          : html`<table class="table">
              <thead>
                <tr>
                  <th>Mailbox</th>
                  <th>Owner</th>
                  <th>Status</th>
                  <th class="wide">Quota</th>
                </tr>
              </thead>
              <tbody>
                ${data.fullestMailboxes.map(
                  (m) =>
                    html`<tr>
                      <td><a href="/mailboxes/${m.id}">${m.address}</a></td>
                      <td><a href="/users/${m.ownerId}">${m.ownerEmail}</a></td>
                      <td>${statusBadge(m.status)}</td>
                      <td class="wide">${quotaBar(m.usedBytes, m.quotaBytes)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <p class="more"><a href="/mailboxes">All ${plural(t.mailboxes, 'mailbox', 'mailboxes')} »</a></p>
    </section>`;
  return layout(ctx, { title: 'Dashboard', section: 'dashboard' }, body);
}
