import type { Refusal } from '../context.js';
import type { ActorChoice, EmailDetail, EmailRow, FolderRow, MailboxDetail, Page } from '../queries.js';
import { type Html, type PageContext, actAs, badge, bytes, empty, href, html, pager, postForm, when } from './html.js';
import { layout } from './layout.js';
import { mailboxCrumbs } from './mailboxes.js';

/** Bodies larger than this are cut on screen (the stored message is untouched). */
const SHOWN_BODY_CHARS = 256 * 1024;

export interface EmailListQuery {
  q?: string | undefined;
  mailbox?: string | undefined;
  unread?: boolean;
  flagged?: boolean;
  after?: string | undefined;
}

function subjectText(subject: string): Html {
  return subject.trim() === '' ? html`<span class="muted">(no subject)</span>` : html`${subject}`;
}

function flagsOf(e: { flags: { seen: boolean; flagged: boolean; answered: boolean; draft: boolean } }): Html {
  return html`<span class="flags"
    >${e.flags.seen ? '' : html`<span class="dot" title="unread">●</span>`}${e.flags.flagged ? html`<span class="star" title="flagged">★</span>` : ''}</span
  >`;
}

function emailFilters(q: EmailListQuery, action: string, hidden: Html = html``): Html {
  return html`<form method="get" action="${action}" class="search" role="search">
    ${hidden}
    <input
      type="search"
      name="q"
      value="${q.q ?? ''}"
      placeholder="Search subject or sender"
      aria-label="Search subject or sender"
    />
    <label class="check"><input type="checkbox" name="unread" value="1" ${q.unread ? 'checked' : ''} /> unread</label>
    <label class="check"
      ><input type="checkbox" name="flagged" value="1" ${q.flagged ? 'checked' : ''} /> flagged</label
    >
    <button type="submit">Search</button>
    ${q.q || q.unread || q.flagged ? html`<a href="${action}" class="button-link">Clear</a>` : ''}
  </form>`;
}

function emailTable(rows: EmailRow[], withMailbox: boolean): Html {
  return html`<table class="table mail">
    <thead>
      <tr>
        <th class="flags-col"></th>
        <th>From</th>
        <th>Subject</th>
        ${
          withMailbox
            ? html`<th>Mailbox</th>
                <th>Folder</th>`
            : ''
        }
        <th>Received</th>
        <th class="num">Size</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (e) =>
          html`<tr class="${e.flags.seen ? '' : 'unread'}">
            <td class="flags-col">${flagsOf(e)}</td>
            <td class="from">${e.from}</td>
            <td class="subject"><a href="/mailboxes/${e.mailboxId}/email/${e.id}">${subjectText(e.subject)}</a></td>
            ${
              withMailbox
                ? html`<td><a href="/mailboxes/${e.mailboxId}">${e.mailboxAddress}</a></td>
                    <td><a href="/mailboxes/${e.mailboxId}/folders/${e.folderId}">${e.folderPath}</a></td>`
                : ''
            }
            <td class="nowrap">${when(e.receivedAt)}</td>
            <td class="num">${bytes(e.sizeBytes)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function folderNav(mailbox: MailboxDetail, current: string): Html {
  return html`<nav class="folders" aria-label="folders">
    ${mailbox.folderRows.map(
      (f: FolderRow) =>
        html`<a
          href="/mailboxes/${mailbox.id}/folders/${f.id}"
          ${f.id === current ? html`aria-current="page" class="current"` : ''}
        >
          <span>${f.path}</span
          >${f.unread > 0 ? html`<span class="pill">${f.unread}</span>` : html`<span class="muted small">${f.emails}</span>`}
        </a>`,
    )}
  </nav>`;
}

export function folderPage(
  ctx: PageContext,
  mailbox: MailboxDetail,
  folder: FolderRow,
  page: Page<EmailRow>,
  query: EmailListQuery,
): Html {
  const base = `/mailboxes/${mailbox.id}/folders/${folder.id}`;
  const link = (after: string | null) =>
    href(base, { q: query.q, unread: query.unread, flagged: query.flagged, after });
  const body = html` <div class="mailview">
    ${folderNav(mailbox, folder.id)}
    <section class="card grow">
      ${emailFilters(query, base)}
      ${page.items.length === 0 ? empty(query.q || query.unread || query.flagged ? 'No email matches.' : `${folder.path} is empty.`) : emailTable(page.items, false)}
      ${pager(page, 'message', link, !query.after)}
    </section>
  </div>`;
  return layout(
    ctx,
    {
      title: `${folder.path} · ${mailbox.address}`,
      section: 'mailboxes',
      crumbs: [...mailboxCrumbs(mailbox, false), { label: folder.path }],
      heading: html`${folder.path} <span class="muted heading-sub">${mailbox.address}</span>`,
    },
    body,
  );
}

export function emailSearchPage(
  ctx: PageContext,
  page: Page<EmailRow>,
  query: EmailListQuery,
  mailboxAddress?: string,
): Html {
  const link = (after: string | null) => href('/email', { ...query, after });
  const body = html` <section class="card">
    ${mailboxAddress ? html`<p class="filter-note">In <a href="/mailboxes/${query.mailbox}">${mailboxAddress}</a> · <a href="/email">all email</a></p>` : ''}
    ${emailFilters(query, '/email', query.mailbox ? html`<input type="hidden" name="mailbox" value="${query.mailbox}" />` : html``)}
    ${page.items.length === 0 ? empty('No email matches.') : emailTable(page.items, true)}
    ${pager(page, 'message', link, !query.after)}
  </section>`;
  return layout(ctx, { title: 'Email', section: 'email' }, body);
}

export function emailPage(
  ctx: PageContext,
  email: EmailDetail,
  mailbox: MailboxDetail,
  choices: ActorChoice[],
  refusal?: Refusal,
): Html {
  const shown = email.body.length > SHOWN_BODY_CHARS ? email.body.slice(0, SHOWN_BODY_CHARS) : email.body;
  const folder = email.folders.find((f) => f.id === email.folderId);
  const body = html` <div class="mailview">
    ${folderNav(mailbox, email.folderId)}
    <div class="grow">
      <section class="card">
        ${postForm(
          ctx,
          {
            action: `/mailboxes/${email.mailboxId}/email/${email.id}`,
            name: 'email-op',
            refusal,
            class: 'form toolbar',
          },
          html` ${
              email.flags.flagged
                ? html`<button type="submit" name="op" value="unflag">☆ Unflag</button>`
                : html`<button type="submit" name="op" value="flag">★ Flag</button>`
            }
            ${
              email.flags.seen
                ? html`<button type="submit" name="op" value="unseen">Mark unread</button>`
                : html`<button type="submit" name="op" value="seen">Mark read</button>`
            }
            <span class="group">
              <select name="folder" aria-label="Move to folder">
                ${email.folders.filter((f) => f.id !== email.folderId).map((f) => html`<option value="${f.id}">${f.path}</option>`)}
              </select>
              <button type="submit" name="op" value="move">Move</button>
            </span>
            ${folder?.role === 'trash' ? '' : html`<button type="submit" name="op" value="trash" class="danger">Delete (to Trash)</button>`}
            ${actAs(choices, email.ownerId, refusal, 'email-op')}`,
        )}
        <dl class="headers">
          <dt>From</dt>
          <dd class="from">${email.from}</dd>
          <dt>To</dt>
          <dd>${email.to.join(', ')}</dd>
          ${
            email.cc.length
              ? html`<dt>Cc</dt>
                  <dd>${email.cc.join(', ')}</dd>`
              : ''
          }
          <dt>Received</dt>
          <dd>${when(email.receivedAt)}</dd>
          <dt>Folder</dt>
          <dd><a href="/mailboxes/${email.mailboxId}/folders/${email.folderId}">${email.folderPath}</a></dd>
          <dt>Size</dt>
          <dd>${bytes(email.sizeBytes)}</dd>
          <dt>Flags</dt>
          <dd>
            ${email.flags.seen ? badge('seen', 'muted') : badge('unread', 'info')}
            ${email.flags.flagged ? badge('flagged', 'warn') : ''}
            ${email.flags.answered ? badge('answered', 'muted') : ''}
            ${email.flags.draft ? badge('draft', 'muted') : ''}
          </dd>
          <dt>Message-ID</dt>
          <dd><code>${email.messageId}</code></dd>
        </dl>
      </section>
      <section class="card">
        <pre class="email-body" data-testid="email-body">${shown}</pre>
        ${shown.length < email.body.length ? html`<p class="muted">Shown: the first ${bytes(SHOWN_BODY_CHARS)} of ${bytes(email.sizeBytes)}.</p>` : ''}
      </section>
    </div>
  </div>`;
  return layout(
    ctx,
    {
      title: email.subject.trim() || '(no subject)',
      section: 'mailboxes',
      crumbs: [
        ...mailboxCrumbs(mailbox, false),
        { label: email.folderPath, href: `/mailboxes/${email.mailboxId}/folders/${email.folderId}` },
        { label: 'message' },
      ],
      heading: html`<span class="email-subject" data-testid="email-subject">${subjectText(email.subject)}</span>`,
    },
    body,
  );
}
