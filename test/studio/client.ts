/** A plain-fetch client for the studio: signs in with the token and posts forms like a browser. */
import type { RunningStudio } from '../../src/studio/server.js';

export interface Session {
  cookie: string;
  origin: string;
  get(path: string): Promise<Response>;
  /** The CSRF token from a page's forms. */
  csrf(path?: string): Promise<string>;
  post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

export function originOf(studio: RunningStudio): string {
  return new URL(studio.url).origin;
}

export async function signIn(studio: RunningStudio): Promise<Session> {
  const response = await fetch(studio.url, { redirect: 'manual' });
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  const origin = originOf(studio);
  const session: Session = {
    cookie,
    origin,
    get: (path) => fetch(`${origin}${path}`, { headers: { cookie }, redirect: 'manual' }),
    csrf: async (path = '/users') => {
      const page = await (await session.get(path)).text();
      const found = /name="_csrf" value="([^"]+)"/.exec(page);
      if (!found) throw new Error(`no CSRF token on ${path}`);
      return found[1]!;
    },
    post: (path, fields, headers = {}) =>
      fetch(`${origin}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(fields).toString(),
      }),
  };
  return session;
}
