/**
 * Failed logins are counted per address in the database (table `login_throttle`), so every process
 * of the platform sees the same count. A window opens at the first attempt; each login attempt
 * takes a numbered slot in it before any hash is checked; slots past `limit` are refused with
 * LOGIN_THROTTLED without checking anything, until the window has passed. A successful login
 * closes the window. Because slots are taken by one atomic statement, a burst of parallel attempts
 * can never check more than `limit` passwords in a window.
 */
export interface LoginThrottlePolicy {
  /** Attempts (failed or in flight) allowed per address and window. */
  limit: number;
  windowSeconds: number;
}

/** 10 attempts per 15 minutes and address: generous for a mistyped password, useless for guessing. */
export const DEFAULT_LOGIN_THROTTLE: Readonly<LoginThrottlePolicy> = Object.freeze({ limit: 10, windowSeconds: 900 });

/** The row that counts one address's attempts in the current window. */
export class LoginThrottle {
  /** The address as it was tried (normalised when it parses), known or not. */
  readonly address: string;
  readonly windowStartedAt: Date;
  readonly attempts: number;

  constructor(props: { address: string; windowStartedAt: Date; attempts: number }) {
    this.address = props.address;
    this.windowStartedAt = props.windowStartedAt;
    this.attempts = props.attempts;
  }
}
