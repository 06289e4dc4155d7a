/** Users: the admin list, one user's page, registering, suspending, and adding domains for them. */
import { Hono } from 'hono';
import {
  type Operations,
  type Refusal,
  type StudioContext,
  type StudioEnv,
  pageContext,
  params,
  operation,
  perform,
} from '../context.js';
import type { UserService } from '../../application/user-service.js';
import type { UserView } from '../../application/views.js';
import { userPage, usersPage } from '../views/users.js';

const userOperations: Operations<(users: UserService, id: string) => Promise<UserView>> = {
  suspend: (users, id) => users.suspend(id),
  activate: (users, id) => users.activate(id),
};

async function renderUsers(c: StudioContext, refusal?: Refusal) {
  const query = params(c, 'q', 'status', 'after');
  const page = await c.var.studio.queries.listUsers(query);
  return usersPage(pageContext(c), page, query, refusal);
}

async function renderUser(c: StudioContext, id: string, refusal?: Refusal) {
  const { queries } = c.var.studio;
  const user = await queries.getUser(id);
  const domains = await queries.listDomains({ owner: user.id });
  const choices = await queries.actorChoices([user.id]);
  return userPage(pageContext(c), user, domains, choices, refusal);
}

export const userRoutes = new Hono<StudioEnv>()
  .get('/', async (c) => c.html(await renderUsers(c)))
  .post('/', (c) =>
    perform(
      c,
      'register',
      async (v) => {
        const user = await c.var.studio.aether.users.register({
          email: v.email ?? '',
          password: v.password ?? '',
          name: v.name || null,
        });
        return { notice: `Registered ${user.email}.`, location: `/users/${user.id}` };
      },
      (refusal) => renderUsers(c, refusal),
    ),
  )
  .get('/:id', async (c) => c.html(await renderUser(c, c.req.param('id'))))
  .post('/:id', (c) =>
    perform(
      c,
      'user-status',
      async (v) => {
        const run = operation(userOperations, v.op);
        const user = await run(c.var.studio.aether.users, c.req.param('id'));
        return { notice: `${user.email} is now ${user.status}.`, location: `/users/${user.id}` };
      },
      (refusal) => renderUser(c, c.req.param('id'), refusal),
    ),
  )
  .post('/:id/domains', (c) =>
    perform(
      c,
      'add-domain',
      async (v) => {
        const domain = await c.var.studio.aether.domains.add(v.actor ?? '', { name: v.name ?? '' });
        return {
          notice: `Added ${domain.displayName}. Publish the TXT record below, then verify it.`,
          location: `/domains/${domain.id}`,
        };
      },
      (refusal) => renderUser(c, c.req.param('id'), refusal),
    ),
  );
