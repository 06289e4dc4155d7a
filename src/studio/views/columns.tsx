/** The columns the studio's tables share: one definition for each way a row is shown. */
import type { DomainStatus } from '../../domain/domain.js';
import type { MailboxStatus } from '../../domain/mailbox.js';
import type { UserStatus } from '../../domain/user.js';
import { Badge, QuotaBar, StatusBadge, UnlessActive, VerifiedBadge } from '../components/badges.js';
import { bytes, href } from '../components/format.js';
import { FilterSelect } from '../components/search.js';
import { type Column, dateColumn, numberColumn } from '../components/table.js';
import type { AliasRow, DomainRow, MailboxRow, UserRow } from '../queries.js';

/** What a status filter offers. */
export const STATUSES = ['active', 'suspended'] as const satisfies readonly (UserStatus &
  DomainStatus &
  MailboxStatus)[];

/** The filter of a list by status. */
export const StatusFilter = (props: { value: string | undefined }) => (
  <FilterSelect name="status" label="status" value={props.value} options={STATUSES} />
);

type Owned = { ownerId: string; ownerEmail: string };
type Addressed = { id: string; address: string };
type OnDomain = { domainId: string; domainName: string };

export const ownerColumn = <T extends Owned>(): Column<T> => ({
  head: 'Owner',
  cell: (row) => <a href={`/users/${row.ownerId}`}>{row.ownerEmail}</a>,
});

export const domainColumn = <T extends OnDomain>(): Column<T> => ({
  head: 'Domain',
  cell: (row) => <a href={`/domains/${row.domainId}`}>{row.domainName}</a>,
});

export const statusColumn = <T extends { status: string }>(): Column<T> => ({
  head: 'Status',
  cell: (row) => <StatusBadge status={row.status} />,
});

export const storageColumn = <T extends { storageBytes: number }>(): Column<T> =>
  numberColumn('Storage', (row) => bytes(row.storageBytes));

export const createdColumn = <T extends { createdAt: Date }>(head = 'Created'): Column<T> =>
  dateColumn(head, (row) => row.createdAt);

export const quotaColumn = <T extends { usedBytes: number; quotaBytes: number }>(): Column<T> => ({
  head: 'Quota',
  class: 'wide',
  cell: (row) => <QuotaBar used={row.usedBytes} quota={row.quotaBytes} />,
});

export const mailboxColumn = <T extends Addressed>(head = 'Address'): Column<T> => ({
  head,
  cell: (row) => <a href={`/mailboxes/${row.id}`}>{row.address}</a>,
});

export const UserLink = (props: { user: { id: string; email: string } }) => (
  <a href={`/users/${props.user.id}`}>{props.user.email}</a>
);

export const DomainLink = (props: { domain: { id: string; displayName: string } }) => (
  <a href={`/domains/${props.domain.id}`}>{props.domain.displayName}</a>
);

/** What a user owns, counted; the domains link to the user's list of them. */
export const userCountColumns: Column<UserRow>[] = [
  numberColumn('Domains', (u) => <a href={href('/domains', { owner: u.id })}>{u.domainCount}</a>),
  numberColumn('Mailboxes', (u) => u.mailboxCount),
  numberColumn('Aliases', (u) => u.aliasCount),
  numberColumn('Email', (u) => u.emailCount),
  storageColumn(),
];

/** What a domain holds, counted, each linking to its list. */
export const domainCountColumns: Column<DomainRow>[] = [
  numberColumn('Mailboxes', (d) => <a href={href('/mailboxes', { domain: d.id })}>{d.mailboxCount}</a>),
  numberColumn('Aliases', (d) => <a href={href('/aliases', { domain: d.id })}>{d.aliasCount}</a>),
  storageColumn(),
];

export const verifiedColumn: Column<DomainRow> = {
  head: 'Verified',
  cell: (d) => <VerifiedBadge verified={d.verified} />,
};

/** A domain's own columns (a list of one owner's domains leaves the owner out). */
export const domainColumns = (withOwner: boolean): Column<DomainRow>[] => [
  { head: 'Domain', cell: (d) => <DomainLink domain={d} /> },
  ...(withOwner ? [ownerColumn<DomainRow>()] : []),
  verifiedColumn,
  statusColumn(),
  ...domainCountColumns,
  createdColumn('Added'),
];

/** An alias's address; a catch-all says so. */
export const AliasAddress = (props: { alias: AliasRow }) =>
  props.alias.catchAll ? (
    <>
      <Badge tone="info">catch-all</Badge> <span class="muted">{props.alias.address}</span>
    </>
  ) : (
    props.alias.address
  );

export const aliasAddressColumn: Column<AliasRow> = { head: 'Address', cell: (a) => <AliasAddress alias={a} /> };
export const forwardsColumn: Column<AliasRow> = { head: 'Forwards to', cell: (a) => a.destinations.join(', ') };

/** A user's address with the status when it is not active. */
export const userWithStatusColumn: Column<UserRow> = {
  head: 'User',
  cell: (u) => (
    <>
      <UserLink user={u} /> <UnlessActive status={u.status} />
    </>
  ),
};

export const mailboxStatusQuota: Column<MailboxRow>[] = [statusColumn(), quotaColumn()];
