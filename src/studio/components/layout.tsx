/** The page frame: one stylesheet from the studio itself, no script at all. */
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { HtmlEscapedString } from 'hono/utils/html';

/** A rendered page or part of one. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What every page needs from the request: the session's CSRF token and one-shot notice. */
export interface PageContext {
  csrf: string;
  notice: string | null;
  database: string;
}

export type Section = 'dashboard' | 'users' | 'domains' | 'mailboxes' | 'aliases' | 'email' | 'schema';

export interface Crumb {
  label: string;
  href?: string;
}

/** The sections in the navigation, in its order: where each is and what it is called. */
export const SECTIONS: Record<Section, { path: string; label: string }> = {
  dashboard: { path: '/', label: 'Dashboard' },
  users: { path: '/users', label: 'Users' },
  domains: { path: '/domains', label: 'Domains' },
  mailboxes: { path: '/mailboxes', label: 'Mailboxes' },
  aliases: { path: '/aliases', label: 'Aliases' },
  email: { path: '/email', label: 'Email' },
  schema: { path: '/schema', label: 'Schema' },
};

const DOCTYPE = raw('<!doctype html>');

/** Every page's head: the one stylesheet and icon of the studio, no script. */
const Head = (props: { title: string }) => (
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>{props.title} · Aether Studio</title>
    <link rel="stylesheet" href="/static/studio.css" />
    <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
  </head>
);

const Brand = () => (
  <>
    <span class="brand-mark" aria-hidden="true">
      ◆
    </span>{' '}
    Aether Studio
  </>
);

export const Breadcrumbs = (props: { crumbs: Crumb[] }) => (
  <nav class="crumbs" aria-label="breadcrumbs">
    {props.crumbs.map((c, i) => (
      <>
        {i > 0 ? <span class="sep">›</span> : null}
        {c.href ? <a href={c.href}>{c.label}</a> : <span>{c.label}</span>}
      </>
    ))}
  </nav>
);

/** A link that is marked when it is the page shown. */
export const NavLink = (props: { href: string; current: boolean; children: Child }) =>
  props.current ? (
    <a href={props.href} aria-current="page" class="current">
      {props.children}
    </a>
  ) : (
    <a href={props.href}>{props.children}</a>
  );

export interface LayoutProps {
  ctx: PageContext;
  title: string;
  section: Section;
  crumbs?: Crumb[] | undefined;
  heading?: Child;
  wide?: boolean;
  children: Child;
}

export const Layout = (props: LayoutProps) => (
  <>
    {DOCTYPE}
    <html lang="en">
      <Head title={props.title} />
      <body>
        <header class="top">
          <a class="brand" href="/">
            <Brand />
          </a>
          <nav class="main-nav" aria-label="sections">
            {Object.entries(SECTIONS).map(([section, { path, label }]) => (
              <NavLink href={path} current={section === props.section}>
                {label}
              </NavLink>
            ))}
          </nav>
        </header>
        <main class={props.wide ? 'wide' : undefined}>
          {props.crumbs ? <Breadcrumbs crumbs={props.crumbs} /> : null}
          {props.ctx.notice ? (
            <div class="notice" role="status">
              {props.ctx.notice}
            </div>
          ) : null}
          <div class="page-head">
            <h1>{props.heading ?? props.title}</h1>
          </div>
          {props.children}
        </main>
        <footer class="foot">
          <span>
            Database: <code>{props.ctx.database}</code>
          </span>
          <span>Browsing reads in read-only transactions; every change goes through the application services.</span>
          <a href="/access">Let another browser in</a>
        </footer>
      </body>
    </html>
  </>
);

/**
 * A bare page for refusals before a session exists: the studio's look (its stylesheet is public),
 * but no data and no links into the studio.
 */
export const BarePage = (props: { title: string; message: string; status: string; children?: Child }) => (
  <>
    {DOCTYPE}
    <html lang="en">
      <Head title={props.title} />
      <body class="bare">
        <main>
          <p class="brand">
            <Brand />
          </p>
          <section class="card">
            <h1>{props.title}</h1>
            <p>{props.message}</p>
            {props.children}
            <p class="muted small">HTTP {props.status}</p>
          </section>
        </main>
      </body>
    </html>
  </>
);
