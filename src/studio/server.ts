/**
 * Aether Studio: a local web app to browse the database and act on it through the application
 * services. Bound to the loopback interface only; every request needs the session that the
 * printed access token opens; every POST needs the session's CSRF token and a same-origin
 * browser; every response carries a strict Content-Security-Policy (no script at all).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import getPort, { portNumbers } from 'get-port';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, NotFoundError } from '../domain/errors.js';
import type { Aether } from '../infrastructure/aether.js';
import { describeTarget } from '../infrastructure/database/database-url.js';
import { type Studio, type StudioContext, type StudioEnv, pageContext } from './context.js';
import { StudioQueries } from './queries.js';
import { aliasRoutes } from './routes/aliases.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { domainRoutes } from './routes/domains.js';
import { emailRoutes } from './routes/email.js';
import { mailboxRoutes } from './routes/mailboxes.js';
import { schemaRoutes } from './routes/schema.js';
import { userRoutes } from './routes/users.js';
import { schemaModel } from '../infrastructure/persistence/schema-diagram/index.js';
import { SessionStore, newSecret, sameSecret } from './session.js';
import { accessPage, barePage, errorPage as errorView, signInPage } from './views/errors.js';

export interface StudioOptions {
  aether: Aether;
  /** 0: any free port. Default: a free port from 5555 up. */
  port?: number;
  /** A loopback address; the studio never listens on other interfaces. */
  host?: string;
  /** The access token; a fresh random one by default. */
  token?: string;
}

export interface RunningStudio {
  /** Open this once: it carries the access token, which the studio trades for a session cookie. */
  url: string;
  token: string;
  port: number;
  /** A new one-time sign-in link, for another browser (what "Let another browser in" makes). */
  issueLink(): string;
  close(): Promise<void>;
}

export const DEFAULT_PORTS = portNumbers(5555, 5575);
const LOOPBACK = new Set(['127.0.0.1', '::1']);
const MAX_FORM_BYTES = 2 * 1024 * 1024;

const asset = (name: string) => readFileSync(new URL(`./static/${name}`, import.meta.url));

/** The Hono app, without a server: routes, auth, CSRF and security headers. */
export function createStudioApp(
  aether: Aether,
  sessions: SessionStore,
  allowedHosts: () => ReadonlySet<string>,
): Hono<StudioEnv> {
  const studio: Studio = {
    aether,
    queries: new StudioQueries(aether.unitOfWork),
    schema: schemaModel(aether.orm.getMetadata()),
    database: `${describeTarget(aether.settings.application)}${aether.settings.embedded ? ' (embedded)' : ''}`,
  };
  const css = asset('studio.css');
  const favicon = asset('favicon.svg');
  const app = new Hono<StudioEnv>();

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
      crossOriginOpenerPolicy: 'same-origin',
      strictTransportSecurity: false, // plain http on loopback
    }),
  );

  app.use(async (c, next) => {
    c.header('Cache-Control', 'no-store');
    // A Host other than our own loopback address and port is DNS rebinding or a confused proxy.
    if (!allowedHosts().has((c.req.header('host') ?? '').toLowerCase())) {
      return c.html(barePage('Forbidden', 'This studio answers only on its own loopback address.', '403'), 403);
    }
    return next();
  });

  // The stylesheet and icon hold no data: served before sign-in, so the sign-in page has the studio's look.
  app.get('/static/studio.css', (c) => c.body(css, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/static/favicon.svg', (c) => c.body(favicon, 200, { 'Content-Type': 'image/svg+xml' }));

  // Authentication: the access token (once, in the URL) opens a session; the cookie carries it.
  app.use(async (c, next) => {
    const token = c.req.query('token');
    if (token !== undefined) {
      const session = c.req.method === 'GET' ? sessions.redeem(token) : undefined;
      if (!session) {
        return c.html(signInPage('That sign-in link is not valid, or was used already: each link works once.'), 401);
      }
      setCookie(c, sessions.cookieName, session.id, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      // a path of our own only: "//elsewhere" would make the redirect leave the studio
      return c.redirect(`/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`, 303);
    }
    const session = sessions.find(getCookie(c, sessions.cookieName));
    if (!session) {
      return c.html(signInPage('This browser has no session with the studio yet.'), 401);
    }
    c.set('session', session);
    c.set('studio', studio);
    return next();
  });

  // CSRF: state changes are POSTs from our own pages: same origin (Origin / Sec-Fetch-Site),
  // bounded in size, and carrying the session's CSRF token.
  app.post('*', bodyLimit({ maxSize: MAX_FORM_BYTES }), csrf(), async (c, next) => {
    const body = await c.req.parseBody();
    const token = body._csrf;
    if (typeof token !== 'string' || !sameSecret(token, c.var.session.csrf)) {
      return c.html(
        barePage(
          'Forbidden',
          'The form was not sent by this studio (missing or wrong CSRF token). Nothing was changed.',
          '403',
        ),
        403,
      );
    }
    return next();
  });

  app.route('/', dashboardRoutes);
  app.route('/users', userRoutes);
  app.route('/domains', domainRoutes);
  app.route('/mailboxes', mailboxRoutes);
  app.route('/aliases', aliasRoutes);
  app.route('/email', emailRoutes);
  app.route('/', schemaRoutes);

  // "Let another browser in": a new one-time sign-in link, made by a signed-in browser (a POST, so
  // it carries the CSRF token) and shown once on the page its redirect leads to.
  app.get('/access', (c) => {
    const link = c.var.session.issuedLink;
    c.var.session.issuedLink = null;
    return c.html(accessPage(pageContext(c), link));
  });
  app.post('/access', (c) => {
    const origin = new URL(c.req.url).origin;
    c.var.session.issuedLink = `${origin}/?token=${encodeURIComponent(sessions.issue())}`;
    return c.redirect('/access', 303);
  });

  app.notFound((c) => errorPage(c, 404, 'Not found', 'There is no such page in the studio.'));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 403)
        return c.html(barePage('Forbidden', 'Cross-site requests are refused. Nothing was changed.', '403'), 403);
      if (status === 413)
        return c.html(
          barePage('Too large', `A form may carry at most ${MAX_FORM_BYTES / 1024 / 1024} MiB.`, '413'),
          413,
        );
      return errorPage(
        c,
        status === 400 ? 400 : 500,
        status === 400 ? 'Bad request' : 'Something went wrong',
        error.message,
      );
    }
    if (error instanceof NotFoundError)
      return errorPage(c, 404, 'Not found', `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`);
    if (error instanceof DomainError) return errorPage(c, 400, 'Refused', `${error.message} (${error.code})`);
    console.error('[studio]', error);
    return errorPage(
      c,
      500,
      'Something went wrong',
      'The studio hit an unexpected error; the terminal it runs in shows the details.',
    );
  });
  return app;
}

function errorPage(
  c: StudioContext,
  status: ContentfulStatusCode,
  title: string,
  message: string,
): Response | Promise<Response> {
  if (!c.var.session) return c.html(barePage(title, message, String(status)), status);
  return c.html(errorView(pageContext(c), title, message), status);
}

/** Starts the studio on a loopback address and resolves once it listens. */
export async function startStudio(options: StudioOptions): Promise<RunningStudio> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the studio listens on loopback only (127.0.0.1 or ::1), not ${host}`);
  const token = options.token ?? newSecret();
  const sessions = new SessionStore(token);
  const allowed = new Set<string>();
  const app = createStudioApp(options.aether, sessions, () => allowed);
  const wanted = options.port ?? (await getPort({ port: DEFAULT_PORTS, host }));

  const server = serve({ fetch: app.fetch, port: wanted, hostname: host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  for (const name of ['127.0.0.1', 'localhost', '[::1]']) allowed.add(`${name}:${port}`);
  const origin = host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${encodeURIComponent(token)}`,
    token,
    port,
    issueLink: () => `${origin}/?token=${encodeURIComponent(sessions.issue())}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
