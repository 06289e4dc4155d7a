import { OrDash, QuotaBar, StatusBadge, UnlessActive } from '../components/badges.js';
import { Card, Details } from '../components/details.js';
import { ActAs, Confirm, Field, PostForm, StatusButton, Submit } from '../components/form.js';
import { bytes, href, when } from '../components/format.js';
import { type Crumb, Layout, type PageContext } from '../components/layout.js';
import { ListPage, type ListSpec } from '../components/list-page.js';
import { type Column, MoreLink, Table, numberColumn } from '../components/table.js';
import type { Refusal } from '../context.js';
import type { ActorChoice, FolderRow, MailboxDetail, MailboxRow, Page } from '../queries.js';
import {
  StatusFilter,
  UserLink,
  createdColumn,
  domainColumn,
  mailboxColumn,
  mailboxStatusQuota,
  ownerColumn,
} from './columns.js';

export type MailboxListQuery = {
  q?: string | undefined;
  domain?: string | undefined;
  status?: string | undefined;
  after?: string | undefined;
};

const mailboxList: ListSpec<MailboxRow> = {
  section: 'mailboxes',
  scope: 'domain',
  placeholder: 'Search address',
  columns: [mailboxColumn(), domainColumn(), ownerColumn(), ...mailboxStatusQuota, createdColumn()],
  empty: 'No mailbox matches.',
  noun: 'mailbox',
  nouns: 'mailboxes',
};

export function mailboxesPage(ctx: PageContext, page: Page<MailboxRow>, query: MailboxListQuery, domainName?: string) {
  return (
    <ListPage ctx={ctx} query={query} page={page} spec={mailboxList} scoped={domainName}>
      <StatusFilter value={query.status} />
    </ListPage>
  );
}

export function mailboxCrumbs(
  m: { ownerId: string; ownerEmail: string; domainId: string; domainName: string; id: string; address: string },
  last = true,
): Crumb[] {
  return [
    { label: 'Users', href: '/users' },
    { label: m.ownerEmail, href: `/users/${m.ownerId}` },
    { label: m.domainName, href: `/domains/${m.domainId}` },
    last ? { label: m.address } : { label: m.address, href: `/mailboxes/${m.id}` },
  ];
}

export function mailboxPage(ctx: PageContext, mailbox: MailboxDetail, choices: ActorChoice[], refusal?: Refusal) {
  const folderColumns: Column<FolderRow>[] = [
    {
      head: 'Folder',
      cell: (f) => (
        <a href={`/mailboxes/${mailbox.id}/folders/${f.id}`} class="folder-link">
          {f.path}
        </a>
      ),
    },
    { head: 'Role', cell: (f) => <OrDash value={f.role} /> },
    numberColumn('Email', (f) => f.emails),
    numberColumn('Unread', (f) => (f.unread > 0 ? <strong>{f.unread}</strong> : '0')),
    numberColumn('Size', (f) => bytes(f.bytes)),
  ];
  return (
    <Layout
      ctx={ctx}
      title={mailbox.address}
      section="mailboxes"
      crumbs={mailboxCrumbs(mailbox)}
      heading={
        <>
          {mailbox.address} <UnlessActive status={mailbox.status} />
        </>
      }
    >
      <div class="split">
        <div class="grow">
          <Card title="Quota">
            <div class="quota-large">
              <QuotaBar used={mailbox.usedBytes} quota={mailbox.quotaBytes} />
            </div>
          </Card>
          <Card title="Folders">
            <Table rows={mailbox.folderRows} columns={folderColumns} />
            <MoreLink href={href('/email', { mailbox: mailbox.id })}>Search this mailbox’s email »</MoreLink>
          </Card>
        </div>

        <aside class="side">
          <Card title="Deliver a test message">
            <p class="hint">
              Inbound delivery through the mail service: aliases and catch-alls resolve, quotas and verification apply.
            </p>
            <PostForm ctx={ctx} action={`/mailboxes/${mailbox.id}/deliver`} name="deliver" refusal={refusal}>
              <Field label="From" name="from" required value="someone@example.net" />
              <Field label="To" name="to" required value={mailbox.address} />
              <Field label="Subject" name="subject" value="Hello from the studio" />
              <Field label="Body" name="body" rows={5} value="This message was delivered from Aether Studio." />
              <Submit class="primary">Deliver</Submit>
            </PostForm>
          </Card>
          <Card title="Details">
            <Details
              items={[
                ['Domain', <a href={`/domains/${mailbox.domainId}`}>{mailbox.domainName}</a>],
                ['Owner', <UserLink user={{ id: mailbox.ownerId, email: mailbox.ownerEmail }} />],
                ['Status', <StatusBadge status={mailbox.status} />],
                ['Created', when(mailbox.createdAt)],
                ['Id', <code class="id">{mailbox.id}</code>],
              ]}
            />
            <PostForm
              ctx={ctx}
              action={`/mailboxes/${mailbox.id}`}
              name="mailbox-op"
              refusal={refusal}
              class="form inline"
            >
              <StatusButton status={mailbox.status} noun="mailbox" />{' '}
              <ActAs choices={choices} selected={mailbox.ownerId} />
            </PostForm>
          </Card>
          <Card title="Delete" class="danger-zone">
            <PostForm ctx={ctx} action={`/mailboxes/${mailbox.id}/delete`} name="delete-mailbox" refusal={refusal}>
              <p class="hint">
                Deletes {mailbox.address} with its folders and email ({bytes(mailbox.usedBytes)}); the address becomes
                free again. This cannot be undone.
              </p>
              <Confirm>Yes, delete this mailbox and its email</Confirm>
              <ActAs choices={choices} selected={mailbox.ownerId} />
              <Submit class="danger">Delete mailbox</Submit>
            </PostForm>
          </Card>
        </aside>
      </div>
    </Layout>
  );
}
