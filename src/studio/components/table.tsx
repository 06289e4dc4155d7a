/** Tables of rows, declared as columns; a page of them with its keyset links. */
import type { Child } from 'hono/jsx';
import type { Page } from '../queries.js';
import { Card } from './details.js';
import { plural, when } from './format.js';

export interface Column<T> {
  head: Child;
  cell: (row: T) => Child;
  /** On the header and the cells: "num" (right-aligned), "wide". */
  class?: string;
  /** On the cells only. */
  cellClass?: string;
}

/** A number, right-aligned. */
export const numberColumn = <T,>(head: string, cell: (row: T) => Child): Column<T> => ({ head, cell, class: 'num' });

/** A date that does not wrap. */
export const dateColumn = <T,>(head: string, date: (row: T) => Date | null | undefined): Column<T> => ({
  head,
  cell: (row) => when(date(row)),
  cellClass: 'nowrap',
});

export interface TableProps<T> {
  rows: T[];
  columns: Column<T>[];
  /** Shown instead of the table when there are no rows; without it an empty table is shown. */
  empty?: string | undefined;
  class?: string;
  rowClass?: (row: T) => string;
}

export const Empty = (props: { children: Child }) => <p class="empty">{props.children}</p>;

export function Table<T>(props: TableProps<T>) {
  if (props.rows.length === 0 && props.empty !== undefined) return <Empty>{props.empty}</Empty>;
  return (
    <table class={props.class ?? 'table'}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th class={c.class}>{c.head}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr class={props.rowClass?.(row)}>
            {props.columns.map((c) => (
              <td class={[c.class, c.cellClass].filter(Boolean).join(' ') || undefined}>{c.cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface PagerProps {
  page: Page<unknown>;
  noun: string;
  nouns?: string;
  /** The link to the page after this cursor (null: the first page). */
  link: (after: string | null) => string;
  isFirst: boolean;
}

/** "25 shown of 1,204 users · Next page »" with keyset links. */
export function Pager(props: PagerProps) {
  const { page } = props;
  const all = plural(page.total, props.noun, props.nouns);
  return (
    <nav class="pager" aria-label="pages">
      <span class="muted">{page.items.length === page.total ? all : `${page.items.length} shown of ${all}`}</span>{' '}
      <span class="pager-links">
        {props.isFirst ? null : <a href={props.link(null)}>« First page</a>}{' '}
        {page.next ? (
          <a href={props.link(page.next)} rel="next">
            Next page »
          </a>
        ) : null}
      </span>
    </nav>
  );
}

/** One page of rows and the links to the others. */
export function PagedTable<T>(props: Omit<TableProps<T>, 'rows'> & Omit<PagerProps, 'page'> & { page: Page<T> }) {
  return (
    <>
      <Table
        rows={props.page.items}
        columns={props.columns}
        empty={props.empty}
        class={props.class}
        rowClass={props.rowClass}
      />
      <Pager page={props.page} noun={props.noun} nouns={props.nouns} link={props.link} isFirst={props.isFirst} />
    </>
  );
}

/** "All 12 mailboxes »" under a table that shows only the first page. */
export const MoreLink = (props: { href: string; children: Child }) => (
  <p class="more">
    <a href={props.href}>{props.children}</a>
  </p>
);

/** A card with the first page of a list and, when there is more, the link to all of it. */
export function PreviewCard<T>(props: {
  title: string;
  class?: string;
  /** Show the total next to the title. */
  counted?: boolean;
  page: Page<T>;
  columns: Column<T>[];
  empty: string;
  more: { href: string; label: string };
}) {
  const { page } = props;
  return (
    <Card
      class={props.class}
      title={
        props.counted ? (
          <>
            {props.title} <span class="count">{page.total}</span>
          </>
        ) : (
          props.title
        )
      }
    >
      <Table rows={page.items} columns={props.columns} empty={props.empty} />
      {page.next ? <MoreLink href={props.more.href}>{props.more.label}</MoreLink> : null}
    </Card>
  );
}
