import { Card } from '../components/details.js';
import { href } from '../components/format.js';
import { Layout, type PageContext } from '../components/layout.js';
import { FilterNote, Hidden, SearchBar } from '../components/search.js';
import { type Column, PagedTable } from '../components/table.js';
import type { AliasRow, Page } from '../queries.js';
import { aliasAddressColumn, createdColumn, domainColumn, forwardsColumn, ownerColumn } from './columns.js';

export interface AliasListQuery {
  q?: string | undefined;
  domain?: string | undefined;
  after?: string | undefined;
}

const aliasColumns: Column<AliasRow>[] = [
  aliasAddressColumn,
  forwardsColumn,
  domainColumn(),
  ownerColumn(),
  createdColumn(),
];

export function aliasesPage(ctx: PageContext, page: Page<AliasRow>, query: AliasListQuery, domainName?: string) {
  const link = (after: string | null) => href('/aliases', { ...query, after });
  return (
    <Layout ctx={ctx} title="Aliases" section="aliases">
      <Card>
        <FilterNote
          prefix="On"
          href={`/domains/${query.domain}`}
          label={domainName}
          all="all aliases"
          allHref="/aliases"
        />
        <SearchBar action="/aliases" q={query.q} placeholder="Search address">
          <Hidden name="domain" value={query.domain} />
        </SearchBar>
        <PagedTable
          page={page}
          columns={aliasColumns}
          empty="No alias matches. Aliases are added on a domain’s page."
          noun="alias"
          nouns="aliases"
          link={link}
          isFirst={!query.after}
        />
      </Card>
    </Layout>
  );
}
