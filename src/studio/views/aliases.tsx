import type { PageContext } from '../components/layout.js';
import { ListPage, type ListSpec } from '../components/list-page.js';
import type { AliasRow, Page } from '../queries.js';
import { aliasAddressColumn, createdColumn, domainColumn, forwardsColumn, ownerColumn } from './columns.js';

export type AliasListQuery = {
  q?: string | undefined;
  domain?: string | undefined;
  after?: string | undefined;
};

const aliasList: ListSpec<AliasRow> = {
  section: 'aliases',
  scope: 'domain',
  placeholder: 'Search address',
  columns: [aliasAddressColumn, forwardsColumn, domainColumn(), ownerColumn(), createdColumn()],
  empty: 'No alias matches. Aliases are added on a domain’s page.',
  noun: 'alias',
  nouns: 'aliases',
};

export function aliasesPage(ctx: PageContext, page: Page<AliasRow>, query: AliasListQuery, domainName?: string) {
  return <ListPage ctx={ctx} query={query} page={page} spec={aliasList} scoped={domainName} />;
}
