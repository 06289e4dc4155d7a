/** Domains: the list, one domain's page, and the owner's actions on it, through the services. */
import { Hono } from 'hono';
import {
  type Operations,
  type StudioContext,
  type StudioEnv,
  mebibytes,
  operation,
  pageContext,
  params,
  perform,
  splitList,
  takeRefusal,
  confirmed,
  performDeletion,
} from '../context.js';
import type { DomainService } from '../../application/domain-service.js';
import type { DomainView } from '../../application/views.js';
import { unicodeAddress } from '../unicode.js';
import { domainPage, domainsPage } from '../views/domains.js';

type DomainOperation = (domains: DomainService, actor: string, id: string) => Promise<DomainView>;

const domainOperations: Operations<DomainOperation> = {
  verify: (domains, actor, id) => domains.verify(actor, id),
  suspend: (domains, actor, id) => domains.suspend(actor, id),
  activate: (domains, actor, id) => domains.activate(actor, id),
};

async function renderDomain(c: StudioContext, id: string) {
  const { queries } = c.var.studio;
  const refusal = takeRefusal(c);
  const domain = await queries.getDomain(id);
  const mailboxes = await queries.listMailboxes({ domain: domain.id });
  const aliases = await queries.listAliases({ domain: domain.id });
  const choices = await queries.actorChoices([domain.ownerId]);
  return domainPage(pageContext(c), domain, mailboxes, aliases, choices, refusal);
}

/** Where a refused form of a domain's page goes back to. */
const back = (c: StudioContext) => `/domains/${c.req.param('id')}`;

export const domainRoutes = new Hono<StudioEnv>()
  .get('/', async (c) => {
    const { queries } = c.var.studio;
    const query = params(c, 'q', 'owner', 'verified', 'status', 'after');
    const owner = query.owner ? await queries.getUser(query.owner) : undefined;
    return c.html(domainsPage(pageContext(c), await queries.listDomains(query), query, owner?.email));
  })
  .get('/:id', async (c) => c.html(await renderDomain(c, c.req.param('id'))))
  .post('/:id', (c) =>
    perform(
      c,
      'domain-op',
      async (v) => {
        const run = operation(domainOperations, v.op);
        const domain = await run(c.var.studio.aether.domains, v.actor ?? '', c.req.param('id'));
        const notice =
          v.op === 'verify'
            ? `${domain.displayName} is verified: it receives mail.`
            : `${domain.displayName} is now ${domain.status}.`;
        return { notice, location: `/domains/${domain.id}` };
      },
      back(c),
    ),
  )
  .post('/:id/delete', (c) =>
    performDeletion(c, {
      form: 'delete-domain',
      what: 'delete the domain',
      load: () => c.var.studio.queries.getDomain(c.req.param('id')),
      remove: (actor, domain) => c.var.studio.aether.domains.delete(actor, domain.id),
      done: (domain) => ({
        notice: `Deleted ${domain.displayName} with its mailboxes, aliases and email.`,
        location: `/users/${domain.ownerId}`,
      }),
      back: back(c),
    }),
  )
  .post('/:id/mailboxes', (c) =>
    perform(
      c,
      'create-mailbox',
      async (v) => {
        const quotaBytes = mebibytes(v.quotaMiB);
        const mailbox = await c.var.studio.aether.mailboxes.create(v.actor ?? '', {
          address: v.address ?? '',
          ...(quotaBytes === undefined ? {} : { quotaBytes }),
        });
        return {
          notice: `Created the mailbox ${unicodeAddress(mailbox.address)}.`,
          location: `/mailboxes/${mailbox.id}`,
        };
      },
      back(c),
    ),
  )
  .post('/:id/aliases', (c) =>
    perform(
      c,
      'add-alias',
      async (v) => {
        const alias = await c.var.studio.aether.aliases.add(v.actor ?? '', {
          source: v.source ?? '',
          destinations: splitList(v.destinations),
        });
        return {
          notice: `${unicodeAddress(alias.address)} now forwards to ${alias.destinations.map(unicodeAddress).join(', ')}.`,
          location: `/domains/${c.req.param('id')}`,
        };
      },
      back(c),
    ),
  )
  .post('/:id/catch-all', (c) =>
    perform(
      c,
      'add-catch-all',
      async (v) => {
        const domain = await c.var.studio.queries.getDomain(c.req.param('id'));
        const alias = await c.var.studio.aether.aliases.addCatchAll(v.actor ?? '', {
          domain: domain.name,
          destinations: splitList(v.destinations),
        });
        return {
          notice: `The catch-all of ${domain.displayName} forwards to ${alias.destinations.map(unicodeAddress).join(', ')}.`,
          location: `/domains/${domain.id}`,
        };
      },
      back(c),
    ),
  )
  .post('/:id/aliases/:aliasId/delete', (c) =>
    perform(
      c,
      `delete-alias-${c.req.param('aliasId')}`,
      async (v) => {
        confirmed(v, 'remove the alias');
        await c.var.studio.aether.aliases.remove(v.actor ?? '', c.req.param('aliasId'));
        return { notice: 'Alias removed.', location: `/domains/${c.req.param('id')}` };
      },
      back(c),
    ),
  );
