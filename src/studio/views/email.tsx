import { Badge } from '../components/badges.js';
import { Card, Details } from '../components/details.js';
import { ActAs, Confirm, OpButton, PostForm, Submit } from '../components/form.js';
import { bytes, href, when } from '../components/format.js';
import { Layout, NavLink, type PageContext } from '../components/layout.js';
import { ListPage, type ListSpec, type Scope, ScopeField } from '../components/list-page.js';
import { type Column, PagedTable, dateColumn, numberColumn } from '../components/table.js';
import type { Refusal } from '../context.js';
import type { ActorChoice, EmailDetail, EmailRow, FolderRow, MailboxDetail, Page } from '../queries.js';
import { mailboxCrumbs } from './mailboxes.js';

/** Bodies larger than this are cut on screen (the stored message is untouched). */
const SHOWN_BODY_CHARS = 256 * 1024;

export type EmailListQuery = {
  q?: string | undefined;
  mailbox?: string | undefined;
  unread?: boolean;
  flagged?: boolean;
  after?: string | undefined;
};

const Subject = (props: { subject: string }) =>
  props.subject.trim() === '' ? <span class="muted">(no subject)</span> : props.subject;

const Flags = (props: { flags: { seen: boolean; flagged: boolean } }) => (
  <span class="flags">
    {props.flags.seen ? null : (
      <span class="dot" title="unread">
        ●
      </span>
    )}
    {props.flags.flagged ? (
      <span class="star" title="flagged">
        ★
      </span>
    ) : null}
  </span>
);

const Check = (props: { name: string; checked: boolean | undefined }) => (
  <label class="check">
    <input type="checkbox" name={props.name} value="1" checked={props.checked} /> {props.name}
  </label>
);

function EmailFilters(props: { query: EmailListQuery; action: string; scope?: Scope }) {
  const { query } = props;
  return (
    <form method="get" action={props.action} class="search" role="search">
      {props.scope ? <ScopeField scope={props.scope} /> : null}{' '}
      <input
        type="search"
        name="q"
        value={query.q ?? ''}
        placeholder="Search subject or sender"
        aria-label="Search subject or sender"
      />{' '}
      <Check name="unread" checked={query.unread} /> <Check name="flagged" checked={query.flagged} />{' '}
      <button type="submit">Search</button>{' '}
      {query.q || query.unread || query.flagged ? (
        <a href={props.action} class="button-link">
          Clear
        </a>
      ) : null}
    </form>
  );
}

function emailColumns(withMailbox: boolean): Column<EmailRow>[] {
  return [
    { head: '', class: 'flags-col', cell: (e) => <Flags flags={e.flags} /> },
    { head: 'From', cellClass: 'from', cell: (e) => e.from },
    {
      head: 'Subject',
      cellClass: 'subject',
      cell: (e) => (
        <a href={`/mailboxes/${e.mailboxId}/email/${e.id}`}>
          <Subject subject={e.subject} />
        </a>
      ),
    },
    ...(withMailbox
      ? [
          { head: 'Mailbox', cell: (e: EmailRow) => <a href={`/mailboxes/${e.mailboxId}`}>{e.mailboxAddress}</a> },
          {
            head: 'Folder',
            cell: (e: EmailRow) => <a href={`/mailboxes/${e.mailboxId}/folders/${e.folderId}`}>{e.folderPath}</a>,
          },
        ]
      : []),
    dateColumn('Received', (e) => e.receivedAt),
    numberColumn('Size', (e) => bytes(e.sizeBytes)),
  ];
}

/** How email rows are shown: in a mail table, unread ones marked. */
const emailTable = { class: 'table mail', rowClass: (e: EmailRow) => (e.flags.seen ? '' : 'unread'), noun: 'message' };

const FolderNav = (props: { mailbox: MailboxDetail; current: string }) => (
  <nav class="folders" aria-label="folders">
    {props.mailbox.folderRows.map((f: FolderRow) => (
      <NavLink href={`/mailboxes/${props.mailbox.id}/folders/${f.id}`} current={f.id === props.current}>
        <span>{f.path}</span>
        {f.unread > 0 ? <span class="pill">{f.unread}</span> : <span class="muted small">{f.emails}</span>}
      </NavLink>
    ))}
  </nav>
);

export function folderPage(
  ctx: PageContext,
  mailbox: MailboxDetail,
  folder: FolderRow,
  page: Page<EmailRow>,
  query: EmailListQuery,
) {
  const base = `/mailboxes/${mailbox.id}/folders/${folder.id}`;
  const link = (after: string | null) =>
    href(base, { q: query.q, unread: query.unread, flagged: query.flagged, after });
  return (
    <Layout
      ctx={ctx}
      title={`${folder.path} · ${mailbox.address}`}
      section="mailboxes"
      crumbs={[...mailboxCrumbs(mailbox, false), { label: folder.path }]}
      heading={
        <>
          {folder.path} <span class="muted heading-sub">{mailbox.address}</span>
        </>
      }
    >
      <div class="mailview">
        <FolderNav mailbox={mailbox} current={folder.id} />
        <Card class="grow">
          <EmailFilters query={query} action={base} />
          <PagedTable
            {...emailTable}
            page={page}
            columns={emailColumns(false)}
            empty={query.q || query.unread || query.flagged ? 'No email matches.' : `${folder.path} is empty.`}
            link={link}
            isFirst={!query.after}
          />
        </Card>
      </div>
    </Layout>
  );
}

const emailSearchList: ListSpec<EmailRow> = {
  ...emailTable,
  section: 'email',
  scope: 'mailbox',
  placeholder: 'Search subject or sender',
  columns: emailColumns(true),
  empty: 'No email matches.',
};

export function emailSearchPage(
  ctx: PageContext,
  page: Page<EmailRow>,
  query: EmailListQuery,
  mailboxAddress?: string,
) {
  return (
    <ListPage
      ctx={ctx}
      query={query}
      page={page}
      spec={emailSearchList}
      scoped={mailboxAddress}
      search={(scope) => <EmailFilters query={query} action="/email" scope={scope} />}
    />
  );
}

export function emailPage(
  ctx: PageContext,
  email: EmailDetail,
  mailbox: MailboxDetail,
  choices: ActorChoice[],
  refusal?: Refusal,
) {
  const shown = email.body.length > SHOWN_BODY_CHARS ? email.body.slice(0, SHOWN_BODY_CHARS) : email.body;
  const folder = email.folders.find((f) => f.id === email.folderId);
  const { flags } = email;
  return (
    <Layout
      ctx={ctx}
      title={email.subject.trim() || '(no subject)'}
      section="mailboxes"
      crumbs={[
        ...mailboxCrumbs(mailbox, false),
        { label: email.folderPath, href: `/mailboxes/${email.mailboxId}/folders/${email.folderId}` },
        { label: 'message' },
      ]}
      heading={
        <span class="email-subject" data-testid="email-subject">
          <Subject subject={email.subject} />
        </span>
      }
    >
      <div class="mailview">
        <FolderNav mailbox={mailbox} current={email.folderId} />
        <div class="grow">
          <Card>
            <PostForm
              ctx={ctx}
              action={`/mailboxes/${email.mailboxId}/email/${email.id}`}
              name="email-op"
              refusal={refusal}
              class="form toolbar"
            >
              {flags.flagged ? <OpButton op="unflag">☆ Unflag</OpButton> : <OpButton op="flag">★ Flag</OpButton>}{' '}
              {flags.seen ? <OpButton op="unseen">Mark unread</OpButton> : <OpButton op="seen">Mark read</OpButton>}{' '}
              <span class="group">
                <select name="folder" aria-label="Move to folder">
                  {email.folders
                    .filter((f) => f.id !== email.folderId)
                    .map((f) => (
                      <option value={f.id}>{f.path}</option>
                    ))}
                </select>{' '}
                <OpButton op="move">Move</OpButton>
              </span>{' '}
              {folder?.role === 'trash' ? null : (
                <OpButton op="trash" class="danger">
                  Delete (to Trash)
                </OpButton>
              )}{' '}
              <ActAs choices={choices} selected={email.ownerId} />
            </PostForm>
            <Details
              class="headers"
              items={[
                ['From', email.from, 'from'],
                ['To', email.to.join(', ')],
                email.cc.length > 0 && ['Cc', email.cc.join(', ')],
                ['Received', when(email.receivedAt)],
                ['Folder', <a href={`/mailboxes/${email.mailboxId}/folders/${email.folderId}`}>{email.folderPath}</a>],
                ['Size', bytes(email.sizeBytes)],
                [
                  'Flags',
                  <>
                    {flags.seen ? <Badge>seen</Badge> : <Badge tone="info">unread</Badge>}{' '}
                    {flags.flagged ? <Badge tone="warn">flagged</Badge> : null}{' '}
                    {flags.answered ? <Badge>answered</Badge> : null} {flags.draft ? <Badge>draft</Badge> : null}
                  </>,
                ],
                ['Message-ID', <code>{email.messageId}</code>],
              ]}
            />
          </Card>
          <Card title="Delete for good" class="danger-zone">
            <PostForm
              ctx={ctx}
              action={`/mailboxes/${email.mailboxId}/email/${email.id}/purge`}
              name="purge-email"
              refusal={refusal}
              class="form inline"
            >
              <Confirm>Yes, delete this message for good (frees {bytes(email.sizeBytes)} of quota)</Confirm>{' '}
              <ActAs choices={choices} selected={email.ownerId} /> <Submit class="danger">Delete for good</Submit>
            </PostForm>
          </Card>
          <Card>
            <pre class="email-body" data-testid="email-body">
              {shown}
            </pre>
            {shown.length < email.body.length ? (
              <p class="muted">
                Shown: the first {bytes(SHOWN_BODY_CHARS)} of {bytes(email.sizeBytes)}.
              </p>
            ) : null}
          </Card>
        </div>
      </div>
    </Layout>
  );
}
