/** A page that is one searchable list: the frame, what the list is limited to, the search, the rows. */
import type { Child } from 'hono/jsx';
import type { Page } from '../queries.js';
import { Card } from './details.js';
import { href } from './format.js';
import { Layout, type PageContext, SECTIONS, type Section } from './layout.js';
import { SearchBar } from './search.js';
import { type Column, PagedTable } from './table.js';

const SCOPES = {
  owner: { prefix: 'Owned by', path: '/users' },
  domain: { prefix: 'On', path: '/domains' },
  mailbox: { prefix: 'In', path: '/mailboxes' },
} as const;

/** What a list is limited to: one owner's domains, one domain's mailboxes, one mailbox's email. */
export interface Scope {
  kind: keyof typeof SCOPES;
  id: string | undefined;
  /** The name of what it is limited to, when it is. */
  label: string | undefined;
}

/** The limit travels with the search form. */
export const ScopeField = (props: { scope: Scope }) =>
  props.scope.id ? <input type="hidden" name={props.scope.kind} value={props.scope.id} /> : null;

/** How a list is searched and its rows are shown. */
export interface ListSpec<T> {
  /** The section the list is: its title and address come from the navigation. */
  section: Section;
  /** What the list can be limited to (the query parameter of that name holds the id). */
  scope: Scope['kind'];
  /** What the search box asks for. */
  placeholder: string;
  columns: Column<T>[];
  /** Shown when no row matches. */
  empty: string;
  noun: string;
  nouns?: string;
  class?: string;
  rowClass?: (row: T) => string;
}

export interface ListPageProps<T> {
  ctx: PageContext;
  /** The query shown; every page link carries it. */
  query: Record<string, string | boolean | undefined> & { q?: string | undefined; after?: string | undefined };
  page: Page<T>;
  spec: ListSpec<T>;
  /** The name of what the list is limited to, when it is. */
  scoped: string | undefined;
  /** Filters in the search form, after the text. */
  children?: Child;
  /** A search form of its own instead, given the scope to carry along. */
  search?: (scope: Scope) => Child;
}

export function ListPage<T>(props: ListPageProps<T>) {
  const { query, spec } = props;
  const scope: Scope = { kind: spec.scope, id: query[spec.scope] as string | undefined, label: props.scoped };
  const { path, label } = SECTIONS[spec.section];
  const limit = SCOPES[scope.kind];
  return (
    <Layout ctx={props.ctx} title={label} section={spec.section}>
      <Card>
        {scope.label ? (
          <p class="filter-note">
            {limit.prefix} <a href={`${limit.path}/${scope.id}`}>{scope.label}</a> ·{' '}
            <a href={path}>all {spec.section}</a>
          </p>
        ) : null}
        {props.search?.(scope) ?? (
          <SearchBar action={path} q={query.q} placeholder={spec.placeholder}>
            <ScopeField scope={scope} /> {props.children}
          </SearchBar>
        )}
        <PagedTable
          {...spec}
          page={props.page}
          link={(after) => href(path, { ...query, after })}
          isFirst={!query.after}
        />
      </Card>
    </Layout>
  );
}
