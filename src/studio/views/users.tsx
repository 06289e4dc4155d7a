import { OrDash, Stat, StatusBadge, UnlessActive } from '../components/badges.js';
import { Card, Details } from '../components/details.js';
import { ActAs, Confirm, Field, PostForm, StatusButton, Submit } from '../components/form.js';
import { bytes, href, plural, when } from '../components/format.js';
import { Layout, type PageContext } from '../components/layout.js';
import { SearchBar } from '../components/search.js';
import { type Column, PagedTable, PreviewCard } from '../components/table.js';
import type { Refusal } from '../context.js';
import type { ActorChoice, DomainRow, Page, UserRow } from '../queries.js';
import { StatusFilter, createdColumn, domainColumns, statusColumn, userCountColumns } from './columns.js';

export type UserListQuery = {
  q?: string | undefined;
  status?: string | undefined;
  after?: string | undefined;
};

const userColumns: Column<UserRow>[] = [
  { head: 'Email', cell: (u) => <a href={`/users/${u.id}`}>{u.email}</a> },
  { head: 'Name', cell: (u) => <OrDash value={u.name} /> },
  statusColumn(),
  ...userCountColumns,
  createdColumn('Registered'),
];

export function usersPage(ctx: PageContext, page: Page<UserRow>, query: UserListQuery, refusal?: Refusal) {
  const link = (after: string | null) => href('/users', { q: query.q, status: query.status, after });
  return (
    <Layout ctx={ctx} title="Users" section="users">
      <div class="split">
        <Card class="grow">
          <SearchBar action="/users" q={query.q} placeholder="Search email or name">
            <StatusFilter value={query.status} />
          </SearchBar>
          <PagedTable
            page={page}
            columns={userColumns}
            empty={query.q || query.status ? 'No user matches.' : 'No users yet: register one.'}
            noun="user"
            link={link}
            isFirst={!query.after}
          />
        </Card>
        <Card class="side" title="Register a user">
          <PostForm ctx={ctx} action="/users" name="register" refusal={refusal}>
            <Field label="Email" name="email" type="email" required />
            <Field label="Name" note="optional" name="name" />
            <Field
              label="Password"
              name="password"
              type="password"
              required
              minlength={1}
              autocomplete="new-password"
            />
            <p class="hint">At least 10 characters; stored as an argon2id hash by the user service.</p>
            <Submit class="primary">Register</Submit>
          </PostForm>
        </Card>
      </div>
    </Layout>
  );
}

export function userPage(
  ctx: PageContext,
  user: UserRow,
  domains: Page<DomainRow>,
  choices: ActorChoice[],
  refusal?: Refusal,
) {
  return (
    <Layout
      ctx={ctx}
      title={user.email}
      section="users"
      crumbs={[{ label: 'Users', href: '/users' }, { label: user.email }]}
      heading={
        <>
          {user.email} <UnlessActive status={user.status} />
        </>
      }
    >
      <section class="stats">
        <Stat label="domains" value={user.domainCount} /> <Stat label="mailboxes" value={user.mailboxCount} />{' '}
        <Stat label="aliases" value={user.aliasCount} /> <Stat label="email" value={user.emailCount} />{' '}
        <Stat label="storage" value={bytes(user.storageBytes)} />
      </section>

      <div class="split">
        <PreviewCard
          title="Domains"
          class="grow"
          page={domains}
          columns={domainColumns(false)}
          empty={`${user.email} owns no domain yet.`}
          more={{ href: href('/domains', { owner: user.id }), label: `All ${domains.total} domains »` }}
        />

        <aside class="side">
          <Card title="Add a domain">
            <PostForm ctx={ctx} action={`/users/${user.id}/domains`} name="add-domain" refusal={refusal}>
              <Field label="Domain name" name="name" required placeholder="example.org" />
              <ActAs choices={choices} selected={user.id} />
              <Submit class="primary">Add domain</Submit>
            </PostForm>
          </Card>
          <Card title="Account">
            <Details
              items={[
                ['Name', <OrDash value={user.name} />],
                ['Status', <StatusBadge status={user.status} />],
                ['Registered', when(user.createdAt)],
                ['Updated', when(user.updatedAt)],
                ['Id', <code class="id">{user.id}</code>],
              ]}
            />
            <PostForm ctx={ctx} action={`/users/${user.id}`} name="user-status" refusal={refusal} class="form inline">
              <StatusButton status={user.status} noun="user" />
            </PostForm>
          </Card>
          <Card title="Rename">
            <PostForm ctx={ctx} action={`/users/${user.id}/rename`} name="rename-user" refusal={refusal}>
              <Field label="Name" note="empty: none" name="name" value={user.name ?? ''} />
              <p class="hint">The email address is the sign-in name and stays as it is.</p>
              <Submit>Rename</Submit>
            </PostForm>
          </Card>
          <Card title="Delete" class="danger-zone">
            <PostForm ctx={ctx} action={`/users/${user.id}/delete`} name="delete-user" refusal={refusal}>
              <p class="hint">
                Deletes {user.email} with everything they own: {plural(user.domainCount, 'domain')},{' '}
                {plural(user.mailboxCount, 'mailbox', 'mailboxes')}, {plural(user.aliasCount, 'alias', 'aliases')} and{' '}
                {plural(user.emailCount, 'email', 'emails')}. This cannot be undone.
              </p>
              <Confirm>Yes, delete this user and all they own</Confirm>
              <Submit class="danger">Delete user</Submit>
            </PostForm>
          </Card>
        </aside>
      </div>
    </Layout>
  );
}
