import { Badge, StatusBadge, UnlessActive, VerifiedBadge } from '../components/badges.js';
import { Card, Details } from '../components/details.js';
import { ActAs, Confirm, Field, OpButton, PostForm, StatusButton, Submit } from '../components/form.js';
import { bytes, href, limit, plural, when } from '../components/format.js';
import { Layout, type PageContext } from '../components/layout.js';
import { ListPage, type ListSpec } from '../components/list-page.js';
import { FilterSelect } from '../components/search.js';
import { type Column, PreviewCard } from '../components/table.js';
import type { Refusal } from '../context.js';
import type { ActorChoice, AliasRow, DomainRow, MailboxRow, Page } from '../queries.js';
import {
  StatusFilter,
  UserLink,
  aliasAddressColumn,
  createdColumn,
  domainColumns,
  forwardsColumn,
  mailboxColumn,
  mailboxStatusQuota,
} from './columns.js';

export type DomainListQuery = {
  q?: string | undefined;
  owner?: string | undefined;
  verified?: string | undefined;
  status?: string | undefined;
  after?: string | undefined;
};

const domainList: ListSpec<DomainRow> = {
  section: 'domains',
  scope: 'owner',
  placeholder: 'Search domain name',
  columns: domainColumns(true),
  empty: 'No domain matches.',
  noun: 'domain',
};

export function domainsPage(ctx: PageContext, page: Page<DomainRow>, query: DomainListQuery, ownerEmail?: string) {
  return (
    <ListPage ctx={ctx} query={query} page={page} spec={domainList} scoped={ownerEmail}>
      <FilterSelect name="verified" label="verified" value={query.verified} options={['yes', 'no']} />{' '}
      <StatusFilter value={query.status} />
    </ListPage>
  );
}

export function domainPage(
  ctx: PageContext,
  domain: DomainRow,
  mailboxes: Page<MailboxRow>,
  aliases: Page<AliasRow>,
  choices: ActorChoice[],
  refusal?: Refusal,
) {
  const record = domain.verificationRecord;
  const owner = domain.ownerId;
  const form = { ctx, refusal };
  const aliasColumns: Column<AliasRow>[] = [
    aliasAddressColumn,
    forwardsColumn,
    createdColumn(),
    {
      head: '',
      cell: (a) => (
        <PostForm
          {...form}
          action={`/domains/${domain.id}/aliases/${a.id}/delete`}
          name={`delete-alias-${a.id}`}
          class="form inline"
        >
          <input type="hidden" name="actor" value={owner} />
          <Confirm>sure</Confirm> <Submit class="small danger">Remove</Submit>
        </PostForm>
      ),
    },
  ];
  return (
    <Layout
      ctx={ctx}
      title={domain.displayName}
      section="domains"
      crumbs={[
        { label: 'Users', href: '/users' },
        { label: domain.ownerEmail, href: `/users/${owner}` },
        { label: domain.displayName },
      ]}
      heading={
        <>
          {domain.displayName} <VerifiedBadge verified={domain.verified} /> <UnlessActive status={domain.status} />
        </>
      }
    >
      <div class="split">
        <div class="grow">
          <Card title="Verification" class={domain.verified ? undefined : 'attention'}>
            {domain.verified ? (
              <p>
                <Badge tone="ok">verified</Badge> on {when(domain.verifiedAt)}. The domain receives mail while it is
                active.
              </p>
            ) : (
              <p>
                <Badge tone="warn">unverified</Badge> The domain receives no mail until its owner proves control of it.
                Publish this DNS record, then verify:
              </p>
            )}
            <Details
              class="record"
              testid="txt-record"
              items={[
                ['Type', <code>{record.type}</code>],
                ['Name', <code class="txt-name">{record.name}</code>],
                ['Value', <code class="txt-value">{record.value}</code>],
              ]}
            />
            <PostForm {...form} action={`/domains/${domain.id}`} name="domain-op" class="form inline">
              <OpButton op="verify" class="primary">
                {domain.verified ? 'Verify again' : 'Verify now'}
              </OpButton>{' '}
              <StatusButton status={domain.status} noun="domain" /> <ActAs choices={choices} selected={owner} />
            </PostForm>
          </Card>

          <PreviewCard
            title="Mailboxes"
            counted
            page={mailboxes}
            columns={[mailboxColumn(), ...mailboxStatusQuota, createdColumn()]}
            empty="No mailbox on this domain yet."
            more={{
              href: href('/mailboxes', { domain: domain.id }),
              label: `All ${plural(mailboxes.total, 'mailbox', 'mailboxes')} »`,
            }}
          />

          <PreviewCard
            title="Aliases"
            counted
            page={aliases}
            columns={aliasColumns}
            empty="No alias on this domain yet."
            more={{
              href: href('/aliases', { domain: domain.id }),
              label: `All ${plural(aliases.total, 'alias', 'aliases')} »`,
            }}
          />
        </div>

        <aside class="side">
          <Card title="Create a mailbox">
            <PostForm {...form} action={`/domains/${domain.id}/mailboxes`} name="create-mailbox">
              <Field label="Address" name="address" required placeholder={`name@${domain.displayName}`} />
              <Field
                label="Quota in MiB"
                note={`empty: ${bytes(domain.limits.defaultQuotaBytes)}; 0: unlimited`}
                name="quotaMiB"
                inputmode="decimal"
              />
              <ActAs choices={choices} selected={owner} />
              <Submit class="primary">Create mailbox</Submit>
            </PostForm>
          </Card>
          <Card title="Add an alias">
            <PostForm {...form} action={`/domains/${domain.id}/aliases`} name="add-alias">
              <Field label="Address" name="source" required placeholder={`sales@${domain.displayName}`} />
              <Field label="Forwards to" note="one or more, comma-separated" name="destinations" required />
              <ActAs choices={choices} selected={owner} />
              <Submit>Add alias</Submit>
            </PostForm>
          </Card>
          <Card title="Catch-all">
            <p class="hint">Receives mail for every address on {domain.displayName} that nothing else takes.</p>
            <PostForm {...form} action={`/domains/${domain.id}/catch-all`} name="add-catch-all">
              <Field label="Forwards to" name="destinations" required />
              <ActAs choices={choices} selected={owner} />
              <Submit>Add catch-all</Submit>
            </PostForm>
          </Card>
          <Card title="Details">
            <Details
              items={[
                ['Owner', <UserLink user={{ id: owner, email: domain.ownerEmail }} />],
                ['Stored name', <code>{domain.name}</code>],
                ['Status', <StatusBadge status={domain.status} />],
                ['Storage', bytes(domain.storageBytes)],
                ['Max mailboxes', limit(domain.limits.maxMailboxes)],
                ['Max aliases', limit(domain.limits.maxAliases)],
                ['Default quota', limit(domain.limits.defaultQuotaBytes, bytes)],
                ['Max quota', limit(domain.limits.maxQuotaBytes, bytes)],
                ['Added', when(domain.createdAt)],
              ]}
            />
          </Card>
          <Card title="Delete" class="danger-zone">
            <PostForm {...form} action={`/domains/${domain.id}/delete`} name="delete-domain">
              <p class="hint">
                Deletes {domain.displayName} with its {plural(domain.mailboxCount, 'mailbox', 'mailboxes')} (and their
                email) and {plural(domain.aliasCount, 'alias', 'aliases')}. This cannot be undone.
              </p>
              <Confirm>Yes, delete this domain and all it holds</Confirm>
              <ActAs choices={choices} selected={owner} />
              <Submit class="danger">Delete domain</Submit>
            </PostForm>
          </Card>
        </aside>
      </div>
    </Layout>
  );
}
