/** What every studio route shares: its dependencies, the session, and how forms are handled. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { DomainError, ValidationError } from '../domain/errors.js';
import type { Aether } from '../infrastructure/aether.js';
import type { StudioQueries } from './queries.js';
import type { SchemaModel } from '../infrastructure/persistence/schema-diagram/index.js';
import type { StudioSession } from './session.js';
import type { Html, PageContext } from './components/layout.js';

export interface Studio {
  aether: Aether;
  queries: StudioQueries;
  schema: SchemaModel;
  /** Where the data lives, password masked, for the footer. */
  database: string;
}

export type StudioEnv = { Variables: { studio: Studio; session: StudioSession } };
export type StudioContext = Context<StudioEnv>;

/** A form the application refused: shown again, with the domain error next to it. */
export interface Refusal {
  form: string;
  code: string;
  message: string;
  values: Record<string, string>;
}

/** The posted form's text fields (the CSRF middleware has already parsed and checked it). */
export async function formValues(c: StudioContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' && key !== '_csrf') values[key] = value;
  }
  return values;
}

/**
 * Runs one action through an application service, then redirects (303, post/redirect/get), so a
 * reload never posts again. Success: a notice for the next page, and the page the action names.
 * A domain error: nothing was changed; the refusal travels in the session to `back` (the page of
 * the form), which shows it once next to the form, with what was typed (never a password).
 */
export async function perform(
  c: StudioContext,
  form: string,
  action: (values: Record<string, string>) => Promise<{ notice: string; location: string }>,
  back: string,
): Promise<Response> {
  const values = await formValues(c);
  try {
    const { notice, location } = await action(values);
    c.var.session.notice = notice;
    return c.redirect(location, 303);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const { password: _never, ...kept } = values;
    c.var.session.refusal = { form, code: error.code, message: error.message, values: kept };
    return c.redirect(back, 303);
  }
}

/** The refused form to show on this page, once (see perform). */
export function takeRefusal(c: StudioContext): Refusal | undefined {
  const refusal = c.var.session.refusal ?? undefined;
  c.var.session.refusal = null;
  return refusal;
}

/** Optional text from the query string, or undefined when empty. */
export function param(c: StudioContext, name: string): string | undefined {
  const value = c.req.query(name)?.trim();
  return value ? value : undefined;
}

/** Several optional texts from the query string, by name (what a list page is filtered by). */
export function params<N extends string>(c: StudioContext, ...names: N[]): Record<N, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, param(c, name)])) as Record<N, string | undefined>;
}

/** Splits a list typed into a form ("a@x.org, b@y.org" or one per line). */
export function splitList(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A size typed in MiB (empty: the default), as bytes. */
export function mebibytes(text: string | undefined): number | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  const value = Number(trimmed);
  // not a number: let the domain refuse it with its own words (INVALID_QUOTA)
  return Number.isFinite(value) ? Math.round(value * 1024 * 1024) : Number.NaN;
}

/** The page frame's share of the session: the CSRF token, and the notice (shown once). */
export function pageContext(c: StudioContext): PageContext {
  const session = c.var.session;
  const notice = session.notice;
  session.notice = null;
  return { csrf: session.csrf, notice, database: c.var.studio.database };
}

/** A route's operations, by the name its form's button posts as "op". */
export type Operations<F> = Readonly<Record<string, F>>;

/**
 * The operation a form's button names. One the route does not know (including names every
 * object has, such as "constructor") is a malformed request, not a domain refusal: 400.
 */
export function operation<F>(operations: Operations<F>, op: string | undefined): F {
  if (op === undefined || !Object.hasOwn(operations, op)) {
    throw new HTTPException(400, { message: `unknown operation ${JSON.stringify(op ?? '')}` });
  }
  return operations[op]!;
}

/**
 * A destructive action runs only when its form's confirmation box was ticked. The browser asks
 * for it too (the box is required), but the server is what decides.
 */
export function confirmed(values: Record<string, string>, what: string): void {
  if (values.confirm !== 'yes') {
    throw new ValidationError('CONFIRMATION_REQUIRED', `tick the confirmation box to ${what}; nothing was deleted`);
  }
}

/** What a destructive action needs: what it deletes (read first, for the notice) and how. */
export interface Deletion<T> {
  form: string;
  /** "delete the mailbox": what the confirmation box agrees to. */
  what: string;
  load: () => Promise<T>;
  remove: (actor: string, target: T) => Promise<void>;
  done: (target: T) => { notice: string; location: string };
  /** The page of the form, where a refusal is shown. */
  back: string;
}

/** A destructive action: only when confirmed, through its service, then the notice and redirect. */
export function performDeletion<T>(c: StudioContext, deletion: Deletion<T>): Promise<Response> {
  return perform(
    c,
    deletion.form,
    async (values) => {
      confirmed(values, deletion.what);
      const target = await deletion.load();
      await deletion.remove(values.actor ?? '', target);
      return deletion.done(target);
    },
    deletion.back,
  );
}
