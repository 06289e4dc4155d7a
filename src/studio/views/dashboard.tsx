import { Badge, Stat, UnlessActive } from '../components/badges.js';
import { Card } from '../components/details.js';
import { bytes, plural } from '../components/format.js';
import { Layout, type PageContext } from '../components/layout.js';
import { type Column, MoreLink, Table } from '../components/table.js';
import type { Dashboard, DomainRow, MailboxRow } from '../queries.js';
import {
  DomainLink,
  domainCountColumns,
  mailboxColumn,
  mailboxStatusQuota,
  ownerColumn,
  userCountColumns,
  userWithStatusColumn,
} from './columns.js';

const topDomainColumns: Column<DomainRow>[] = [
  {
    head: 'Domain',
    cell: (d) => (
      <>
        <DomainLink domain={d} /> {d.verified ? null : <Badge tone="warn">unverified</Badge>}
        <UnlessActive status={d.status} />
      </>
    ),
  },
  ownerColumn(),
  ...domainCountColumns,
];

const fullestColumns: Column<MailboxRow>[] = [mailboxColumn('Mailbox'), ownerColumn(), ...mailboxStatusQuota];

export function dashboardPage(ctx: PageContext, data: Dashboard) {
  const t = data.totals;
  return (
    <Layout ctx={ctx} title="Dashboard" section="dashboard">
      <section class="stats">
        <Stat label="users" value={t.users} />{' '}
        <Stat label="domains" value={t.domains} hint={`${t.verifiedDomains.toLocaleString('en')} verified`} />{' '}
        <Stat label="mailboxes" value={t.mailboxes} /> <Stat label="aliases" value={t.aliases} />{' '}
        <Stat label="folders" value={t.folders} /> <Stat label="email" value={t.emails} />{' '}
        <Stat label="storage" value={bytes(t.storageBytes)} />
      </section>

      {t.users === 0 ? (
        <Card title="An empty database">
          <p>
            Start on the <a href="/users">Users</a> page: register a user, add a domain to them, publish its TXT record
            and verify it, then create mailboxes and deliver mail.
          </p>
        </Card>
      ) : null}

      <div class="grid-2">
        <Card title="Users by storage">
          <Table rows={data.topUsers} columns={[userWithStatusColumn, ...userCountColumns]} empty="No users yet." />
          <MoreLink href="/users">All {plural(t.users, 'user')} »</MoreLink>
        </Card>

        <Card title="Domains by storage">
          <Table rows={data.topDomains} columns={topDomainColumns} empty="No domains yet." />
          <MoreLink href="/domains">All {plural(t.domains, 'domain')} »</MoreLink>
        </Card>
      </div>

      <Card title="Quota use: the fullest mailboxes">
        <Table rows={data.fullestMailboxes} columns={fullestColumns} empty="No mailbox with a quota yet." />
        <MoreLink href="/mailboxes">All {plural(t.mailboxes, 'mailbox', 'mailboxes')} »</MoreLink>
      </Card>
    </Layout>
  );
}
