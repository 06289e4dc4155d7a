/**
 * Who may use the studio: whoever holds the access token printed at start. The token works once:
 * the first request that carries it gets a session cookie (HttpOnly, SameSite=Strict) instead,
 * so a copy of the link left in a terminal or a browser history opens nothing later. The session
 * carries its own CSRF token, which every form posts back.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface StudioSession {
  readonly id: string;
  readonly csrf: string;
  /** A one-shot message shown on the next page ("Mailbox created"). */
  notice: string | null;
}

export const newSecret = (): string => randomBytes(32).toString('base64url');

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class SessionStore {
  /** Cookies do not tell ports apart: a name of its own per studio keeps two studios from colliding. */
  readonly cookieName = `aether_studio_${randomBytes(4).toString('hex')}`;
  private session: StudioSession | undefined;
  private redeemed = false;

  constructor(private readonly accessToken: string) {}

  /** The session for the access token, the first time it is shown; undefined after that. */
  redeem(candidate: string): StudioSession | undefined {
    if (this.redeemed || !sameSecret(candidate, this.accessToken)) return undefined;
    this.redeemed = true;
    this.session = { id: newSecret(), csrf: newSecret(), notice: null };
    return this.session;
  }

  /** The session a cookie names, if it is the one this studio opened. */
  find(id: string | undefined): StudioSession | undefined {
    return id && this.session && sameSecret(id, this.session.id) ? this.session : undefined;
  }
}
