import { Hono } from 'hono';
import { type StudioEnv, pageContext, params } from '../context.js';
import { aliasesPage } from '../views/aliases.js';

export const aliasRoutes = new Hono<StudioEnv>().get('/', async (c) => {
  const { queries } = c.var.studio;
  const query = params(c, 'q', 'domain', 'after');
  const domain = query.domain ? await queries.getDomain(query.domain) : undefined;
  return c.html(aliasesPage(pageContext(c), await queries.listAliases(query), query, domain?.displayName));
});
