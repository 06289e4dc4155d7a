import { type Crumb, type Html, type PageContext, breadcrumbs, html } from './html.js';

export type Section = 'dashboard' | 'users' | 'domains' | 'mailboxes' | 'aliases' | 'email' | 'schema';

const NAV: [Section, string, string][] = [
  ['dashboard', '/', 'Dashboard'],
  ['users', '/users', 'Users'],
  ['domains', '/domains', 'Domains'],
  ['mailboxes', '/mailboxes', 'Mailboxes'],
  ['aliases', '/aliases', 'Aliases'],
  ['email', '/email', 'Email'],
  ['schema', '/schema', 'Schema'],
];

/** The page frame: one stylesheet from the studio itself, no script at all. */
export function layout(
  ctx: PageContext,
  page: { title: string; section: Section; crumbs?: Crumb[]; heading?: Html; actions?: Html; wide?: boolean },
  body: Html,
): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${page.title} · Aether Studio</title>
        <link rel="stylesheet" href="/static/studio.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/"><span class="brand-mark" aria-hidden="true">◆</span> Aether Studio</a>
          <nav class="main-nav" aria-label="sections">
            ${NAV.map(([section, path, label]) => html`<a href="${path}" ${section === page.section ? html`aria-current="page" class="current"` : ''}>${label}</a>`)}
          </nav>
        </header>
        <main ${page.wide ? html`class="wide"` : ''}>
          ${page.crumbs ? breadcrumbs(page.crumbs) : ''}
          ${ctx.notice ? html`<div class="notice" role="status">${ctx.notice}</div>` : ''}
          <div class="page-head">
            <h1>${page.heading ?? page.title}</h1>
            ${page.actions ?? ''}
          </div>
          ${body}
        </main>
        <footer class="foot">
          <span>Database: <code>${ctx.database}</code></span>
          <span>Browsing reads in read-only transactions; every change goes through the application services.</span>
        </footer>
      </body>
    </html>`;
}

/** A bare page for refusals before a session exists (no data, no links into the studio). */
export function barePage(title: string, message: string, status: string): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Aether Studio</title>
      </head>
      <body class="bare">
        <main>
          <h1>${title}</h1>
          <p>${message}</p>
          <p class="muted">${status}</p>
        </main>
      </body>
    </html>`;
}
