/** Users: the admin list, one user's page, registering, renaming, suspending, deleting, and adding domains. */
import { Hono } from 'hono';
import {
  type Operations,
  type StudioContext,
  type StudioEnv,
  performDeletion,
  pageContext,
  params,
  operation,
  perform,
  takeRefusal,
} from '../context.js';
import type { UserService } from '../../application/user-service.js';
import type { UserView } from '../../application/views.js';
import { unicodeAddress } from '../unicode.js';
import { userPage, usersPage } from '../views/users.js';

const userOperations: Operations<(users: UserService, id: string) => Promise<UserView>> = {
  suspend: (users, id) => users.suspend(id),
  activate: (users, id) => users.activate(id),
};

async function renderUsers(c: StudioContext) {
  const query = params(c, 'q', 'status', 'after');
  const refusal = takeRefusal(c);
  const page = await c.var.studio.queries.listUsers(query);
  return usersPage(pageContext(c), page, query, refusal);
}

async function renderUser(c: StudioContext, id: string) {
  const { queries } = c.var.studio;
  const refusal = takeRefusal(c);
  const user = await queries.getUser(id);
  const domains = await queries.listDomains({ owner: user.id });
  const choices = await queries.actorChoices([user.id]);
  return userPage(pageContext(c), user, domains, choices, refusal);
}

const userPath = (c: StudioContext) => `/users/${c.req.param('id')}`;

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
        return { notice: `Registered ${unicodeAddress(user.email)}.`, location: `/users/${user.id}` };
      },
      '/users',
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
        return { notice: `${unicodeAddress(user.email)} is now ${user.status}.`, location: `/users/${user.id}` };
      },
      userPath(c),
    ),
  )
  .post('/:id/rename', (c) =>
    perform(
      c,
      'rename-user',
      async (v) => {
        const user = await c.var.studio.aether.users.rename(c.req.param('id'), v.name?.trim() || null);
        const shown = unicodeAddress(user.email);
        return {
          notice: user.name ? `${shown} is now called ${user.name}.` : `${shown} has no name now.`,
          location: `/users/${user.id}`,
        };
      },
      userPath(c),
    ),
  )
  .post('/:id/delete', (c) =>
    performDeletion(c, {
      form: 'delete-user',
      what: 'delete the user',
      load: () => c.var.studio.queries.getUser(c.req.param('id')),
      // an administrator's action: no "act as" (a user does not delete themselves here)
      remove: (_actor, user) => c.var.studio.aether.users.delete(user.id),
      done: (user) => ({ notice: `Deleted ${user.email} and everything they owned.`, location: '/users' }),
      back: userPath(c),
    }),
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
      userPath(c),
    ),
  );
