/**
 * Who may use the studio: whoever holds an access token: the one printed at start, or one a
 * signed-in browser issued for another ("Let another browser in"). A token works once: the first
 * request that carries it gets a session cookie (HttpOnly, SameSite=Strict) instead, so a copy of
 * the link left in a terminal or a browser history opens nothing later. Each session carries its
 * own CSRF token, which every form posts back. A session left idle for `SESSION_IDLE_MS` (8 hours)
 * ends: the browser then needs a new link, as after a restart of the studio.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Refusal } from './context.js';

export interface StudioSession {
  readonly id: string;
  readonly csrf: string;
  /** A one-shot message shown on the next page ("Mailbox created"). */
  notice: string | null;
  /** The last refused form, shown once on the page its post redirected to (post/redirect/get). */
  refusal: Refusal | null;
  /** A sign-in link this session just issued, shown once. */
  issuedLink: string | null;
  /** When the session was last used (ms since the epoch): it ends after `SESSION_IDLE_MS` idle. */
  lastSeen: number;
}

/** How long a session may sit unused before it ends. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;

/** Links issued and not yet used; the oldest lapses beyond this many. */
const MAX_PENDING_TOKENS = 16;

export const newSecret = (): string => randomBytes(32).toString('base64url');

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class SessionStore {
  /** Cookies do not tell ports apart: a name of its own per studio keeps two studios from colliding. */
  readonly cookieName = `aether_studio_${randomBytes(4).toString('hex')}`;
  private readonly pending: string[] = [];
  private readonly sessions: StudioSession[] = [];

  /** `now` is the clock (tests move it). */
  constructor(
    accessToken: string,
    private readonly now: () => number = Date.now,
  ) {
    this.pending.push(accessToken);
  }

  /** A new one-time access token, for another browser. */
  issue(): string {
    const token = newSecret();
    this.pending.push(token);
    if (this.pending.length > MAX_PENDING_TOKENS) this.pending.shift();
    return token;
  }

  /** A new session for an access token, the first time it is shown; undefined after that. */
  redeem(candidate: string): StudioSession | undefined {
    const at = this.pending.findIndex((token) => sameSecret(candidate, token));
    if (at < 0) return undefined;
    this.pending.splice(at, 1);
    const session: StudioSession = {
      id: newSecret(),
      csrf: newSecret(),
      notice: null,
      refusal: null,
      issuedLink: null,
      lastSeen: this.now(),
    };
    this.sessions.push(session);
    return session;
  }

  /** The session a cookie names, if this studio opened it and it has not sat idle too long. */
  find(id: string | undefined): StudioSession | undefined {
    const now = this.now();
    // ended sessions are forgotten, so the list holds only live ones
    for (let i = this.sessions.length - 1; i >= 0; i--) {
      if (now - this.sessions[i]!.lastSeen > SESSION_IDLE_MS) this.sessions.splice(i, 1);
    }
    const session = id ? this.sessions.find((candidate) => sameSecret(id, candidate.id)) : undefined;
    if (session) session.lastSeen = now;
    return session;
  }
}
