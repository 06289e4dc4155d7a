import { Hono } from 'hono';
import { type StudioEnv, pageContext } from '../context.js';
import { dashboardPage } from '../views/dashboard.js';

export const dashboardRoutes = new Hono<StudioEnv>().get('/', async (c) =>
  c.html(dashboardPage(pageContext(c), await c.var.studio.queries.dashboard())),
);
