import type { Refusal } from '../context.js';
import type { ActorChoice, MailboxDetail, MailboxRow, Page } from '../queries.js';
import {
  type Html,
  type PageContext,
  actAs,
  bytes,
  empty,
  filterSelect,
  href,
  html,
  kept,
  pager,
  postForm,
  quotaBar,
  searchBar,
  statusBadge,
  when,
} from './html.js';
import { layout } from './layout.js';

export interface MailboxListQuery {
  q?: string | undefined;
  domain?: string | undefined;
  status?: string | undefined;
  after?: string | undefined;
}

export function mailboxesPage(
  ctx: PageContext,
  page: Page<MailboxRow>,
  query: MailboxListQuery,
  domainName?: string,
): Html {
  const link = (after: string | null) => href('/mailboxes', { ...query, after });
  const filters = html` ${query.domain ? html`<input type="hidden" name="domain" value="${query.domain}" />` : ''}
  ${filterSelect('status', 'status', query.status, [
    ['active', 'active'],
    ['suspended', 'suspended'],
  ])}`;
  const body = html` <section class="card">
    ${domainName ? html`<p class="filter-note">On <a href="/domains/${query.domain}">${domainName}</a> · <a href="/mailboxes">all mailboxes</a></p>` : ''}
    ${searchBar('/mailboxes', query.q, 'Search address', filters)}
    ${
      page.items.length === 0
        ? empty('No mailbox matches.')
        : html`<table class="table">
            <thead>
              <tr>
                <th>Address</th>
                <th>Domain</th>
                <th>Owner</th>
                <th>Status</th>
                <th class="wide">Quota</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              ${page.items.map(
                (m) =>
                  html`<tr>
                    <td><a href="/mailboxes/${m.id}">${m.address}</a></td>
                    <td><a href="/domains/${m.domainId}">${m.domainName}</a></td>
                    <td><a href="/users/${m.ownerId}">${m.ownerEmail}</a></td>
                    <td>${statusBadge(m.status)}</td>
                    <td class="wide">${quotaBar(m.usedBytes, m.quotaBytes)}</td>
                    <td class="nowrap">${when(m.createdAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    ${pager(page, 'mailbox', link, !query.after, 'mailboxes')}
  </section>`;
  return layout(ctx, { title: 'Mailboxes', section: 'mailboxes' }, body);
}

export function mailboxCrumbs(
  m: { ownerId: string; ownerEmail: string; domainId: string; domainName: string; id: string; address: string },
  last = true,
) {
  return [
    { label: 'Users', href: '/users' },
    { label: m.ownerEmail, href: `/users/${m.ownerId}` },
    { label: m.domainName, href: `/domains/${m.domainId}` },
    last ? { label: m.address } : { label: m.address, href: `/mailboxes/${m.id}` },
  ];
}

export function mailboxPage(ctx: PageContext, mailbox: MailboxDetail, choices: ActorChoice[], refusal?: Refusal): Html {
  const body = html` <div class="split">
    <div class="grow">
      <section class="card">
        <h2>Quota</h2>
        <div class="quota-large">${quotaBar(mailbox.usedBytes, mailbox.quotaBytes)}</div>
      </section>
      <section class="card">
        <h2>Folders</h2>
        <table class="table">
          <thead>
            <tr>
              <th>Folder</th>
              <th>Role</th>
              <th class="num">Email</th>
              <th class="num">Unread</th>
              <th class="num">Size</th>
            </tr>
          </thead>
          <tbody>
            ${mailbox.folderRows.map(
              (f) =>
                html`<tr>
                  <td><a href="/mailboxes/${mailbox.id}/folders/${f.id}" class="folder-link">${f.path}</a></td>
                  <td>${f.role ?? html`<span class="muted">—</span>`}</td>
                  <td class="num">${f.emails}</td>
                  <td class="num">${f.unread > 0 ? html`<strong>${f.unread}</strong>` : '0'}</td>
                  <td class="num">${bytes(f.bytes)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        <p class="more"><a href="${href('/email', { mailbox: mailbox.id })}">Search this mailbox’s email »</a></p>
      </section>
    </div>

    <aside class="side">
      <section class="card">
        <h2>Deliver a test message</h2>
        <p class="hint">
          Inbound delivery through the mail service: aliases and catch-alls resolve, quotas and verification apply.
        </p>
        ${postForm(
          ctx,
          { action: `/mailboxes/${mailbox.id}/deliver`, name: 'deliver', refusal },
          html` <label
              >From
              <input
                type="text"
                name="from"
                required
                autocomplete="off"
                value="${kept(refusal, 'deliver', 'from', 'someone@example.net')}"
            /></label>
            <label
              >To
              <input
                type="text"
                name="to"
                required
                autocomplete="off"
                value="${kept(refusal, 'deliver', 'to', mailbox.address)}"
            /></label>
            <label
              >Subject
              <input
                type="text"
                name="subject"
                autocomplete="off"
                value="${kept(refusal, 'deliver', 'subject', 'Hello from the studio')}"
            /></label>
            <label
              >Body
              <textarea name="body" rows="5">
${kept(refusal, 'deliver', 'body', 'This message was delivered from Aether Studio.')}</textarea>
            </label>
            <button type="submit" class="primary">Deliver</button>`,
        )}
      </section>
      <section class="card">
        <h2>Details</h2>
        <dl class="facts">
          <dt>Domain</dt>
          <dd><a href="/domains/${mailbox.domainId}">${mailbox.domainName}</a></dd>
          <dt>Owner</dt>
          <dd><a href="/users/${mailbox.ownerId}">${mailbox.ownerEmail}</a></dd>
          <dt>Status</dt>
          <dd>${statusBadge(mailbox.status)}</dd>
          <dt>Created</dt>
          <dd>${when(mailbox.createdAt)}</dd>
          <dt>Id</dt>
          <dd><code class="id">${mailbox.id}</code></dd>
        </dl>
        ${postForm(
          ctx,
          { action: `/mailboxes/${mailbox.id}`, name: 'mailbox-op', refusal, class: 'form inline' },
          html` ${
            mailbox.status === 'active'
              ? html`<button type="submit" name="op" value="suspend" class="danger">Suspend mailbox</button>`
              : html`<button type="submit" name="op" value="activate">Activate mailbox</button>`
          }
          ${actAs(choices, mailbox.ownerId, refusal, 'mailbox-op')}`,
        )}
      </section>
    </aside>
  </div>`;
  return layout(
    ctx,
    {
      title: mailbox.address,
      section: 'mailboxes',
      crumbs: mailboxCrumbs(mailbox),
      heading: html`${mailbox.address} ${mailbox.status === 'active' ? '' : statusBadge(mailbox.status)}`,
    },
    body,
  );
}
