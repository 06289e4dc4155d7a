import { Hono } from 'hono';
import { type StudioEnv, pageContext } from '../context.js';
import { toSvg } from '../../infrastructure/persistence/schema-diagram/index.js';
import { schemaPage } from '../views/schema.js';

export const schemaRoutes = new Hono<StudioEnv>()
  .get('/schema', (c) => c.html(schemaPage(pageContext(c), c.var.studio.schema)))
  .get('/schema.svg', (c) =>
    c.body(toSvg(c.var.studio.schema, { standalone: true }), 200, { 'Content-Type': 'image/svg+xml; charset=utf-8' }),
  );
