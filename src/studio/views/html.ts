/**
 * The building blocks of every page. All markup is made with hono's `html` tagged template, which
 * HTML-escapes every interpolated value: text from the database (subjects, bodies, names) is
 * always shown as text, never as markup. Nothing here uses `raw()` on data.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { formatBytes } from '../../domain/byte-size.js';
import type { Refusal } from '../context.js';
import type { ActorChoice, Page } from '../queries.js';

export { html };
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What every page needs from the request: the session's CSRF token and one-shot notice. */
export interface PageContext {
  csrf: string;
  notice: string | null;
  database: string;
}

/** A path with query parameters, each value URL-encoded; empty values are left out. */
export function href(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '' && value !== false) query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export const bytes = (n: number): string => formatBytes(n);

export function when(date: Date | null | undefined): string {
  if (!date) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? noun : nouns}`;
}

export function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'muted' | 'info' = 'muted'): Html {
  return html`<span class="badge badge-${tone}">${text}</span>`;
}

export function statusBadge(status: string): Html {
  return badge(status, status === 'active' ? 'ok' : 'bad');
}

/** Quota use as a plain HTML bar (a <meter>: no script, no inline style). */
export function quotaBar(used: number, quota: number): Html {
  if (quota === 0) return html`<span class="quota"><span class="muted">${bytes(used)} of unlimited</span></span>`;
  const ratio = used / quota;
  return html`<span class="quota">
    <meter
      min="0"
      max="${quota}"
      low="${Math.round(quota * 0.7)}"
      high="${Math.round(quota * 0.9)}"
      optimum="0"
      value="${used}"
      title="${(ratio * 100).toFixed(1)}% used"
    >
      ${(ratio * 100).toFixed(1)}%
    </meter>
    <span class="quota-text"
      >${bytes(used)} of ${bytes(quota)}
      <span class="muted">(${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%)</span></span
    >
  </span>`;
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}" />`;
}

/** A form that posts to the studio, with the CSRF token and, when it was refused, the error. */
export function postForm(
  ctx: PageContext,
  options: { action: string; name: string; refusal?: Refusal | undefined; class?: string },
  fields: Html,
): Html {
  return html`<form
    method="post"
    action="${options.action}"
    class="${options.class ?? 'form'}"
    data-form="${options.name}"
  >
    ${csrfField(ctx)} ${refusalBox(options.refusal, options.name)} ${fields}
  </form>`;
}

/** The domain error in plain words, with its stable code. */
export function refusalBox(refusal: Refusal | undefined, form: string): Html {
  if (!refusal || refusal.form !== form) return html``;
  return html`<div class="refusal" role="alert">
    <strong>Refused:</strong> <span class="refusal-message">${refusal.message}</span>
    <code class="refusal-code">${refusal.code}</code>
    <div class="muted small">Nothing was changed.</div>
  </div>`;
}

/** The value a field had when its form was refused, or the default. */
export function kept(refusal: Refusal | undefined, form: string, name: string, fallback = ''): string {
  return refusal?.form === form ? (refusal.values[name] ?? fallback) : fallback;
}

/** "as [user ▾]": who the application service is asked to act for. */
export function actAs(choices: ActorChoice[], selected: string, refusal: Refusal | undefined, form: string): Html {
  const chosen = kept(refusal, form, 'actor', selected);
  return html`<label
    class="act-as"
    title="The user the application service acts for; it refuses what that user may not do"
  >
    <span>act as</span>
    <select name="actor">
      ${choices.map((u) => html`<option value="${u.id}" ${u.id === chosen ? 'selected' : ''}>${u.email}</option>`)}
    </select>
  </label>`;
}

export function searchBar(action: string, q: string | undefined, placeholder: string, extra: Html = html``): Html {
  return html`<form method="get" action="${action}" class="search" role="search">
    <input type="search" name="q" value="${q ?? ''}" placeholder="${placeholder}" aria-label="${placeholder}" />
    ${extra}
    <button type="submit">Search</button>
    ${q ? html`<a href="${action}" class="button-link">Clear</a>` : ''}
  </form>`;
}

/** A <select> that filters a list; submitted with the search form. */
export function filterSelect(
  name: string,
  label: string,
  value: string | undefined,
  options: [string, string][],
): Html {
  return html`<label class="filter"
    ><span class="sr-only">${label}</span>
    <select name="${name}" aria-label="${label}">
      <option value="">${label}: any</option>
      ${options.map(([v, text]) => html`<option value="${v}" ${v === value ? 'selected' : ''}>${label}: ${text}</option>`)}
    </select>
  </label>`;
}

/** "Showing 25 of 1,204 users · Next page →" with keyset links. */
export function pager<T>(
  page: Page<T>,
  noun: string,
  link: (after: string | null) => string,
  isFirst: boolean,
  nouns = `${noun}s`,
): Html {
  const all = plural(page.total, noun, nouns);
  return html`<nav class="pager" aria-label="pages">
    <span class="muted">${page.items.length === page.total ? all : `${page.items.length} shown of ${all}`}</span>
    <span class="pager-links">
      ${isFirst ? '' : html`<a href="${link(null)}">« First page</a>`}
      ${page.next ? html`<a href="${link(page.next)}" rel="next">Next page »</a>` : ''}
    </span>
  </nav>`;
}

export function empty(text: string): Html {
  return html`<p class="empty">${text}</p>`;
}

export interface Crumb {
  label: string;
  href?: string;
}

export function breadcrumbs(crumbs: Crumb[]): Html {
  return html`<nav class="crumbs" aria-label="breadcrumbs">
    ${crumbs.map((c, i) => html`${i > 0 ? html`<span class="sep">›</span>` : ''}${c.href ? html`<a href="${c.href}">${c.label}</a>` : html`<span>${c.label}</span>`}`)}
  </nav>`;
}

export function stat(label: string, value: string | number, hint?: string): Html {
  return html`<div class="stat">
    <div class="stat-value">${typeof value === 'number' ? value.toLocaleString('en') : value}</div>
    <div class="stat-label">${label}</div>
    ${hint ? html`<div class="stat-hint">${hint}</div>` : ''}
  </div>`;
}
