import { randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';
import { newId, update } from './identity.js';
import type { Mailbox } from './mailbox.js';
import { checkProtocols, type MailProtocol } from './mail-protocol.js';

export const MAX_APP_PASSWORD_NAME_LENGTH = 100;
export const MAX_REMOTE_ADDRESS_LENGTH = 64;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
export const SELECTOR_LENGTH = 10;
const SECRET_LENGTH = 32;
/** `ap-<selector>-<secret>`: lower-case base32, so it survives being typed into a mail client. */
export const APP_PASSWORD_PATTERN = new RegExp(`^ap-([a-z2-7]{${SELECTOR_LENGTH}})-[a-z2-7]{${SECRET_LENGTH}}$`);
export const SELECTOR_PATTERN_SQL = `^[a-z2-7]{${SELECTOR_LENGTH}}$`;

function randomBase32(length: number): string {
  return Array.from(randomBytes(length), (b) => BASE32[b & 31]).join('');
}

/**
 * A password for one mail client (a phone, a backup job): named, limited to some protocols,
 * optionally expiring, revocable. The secret is shown once, at creation, and only its hash is
 * kept. It begins with a public selector, so a login looks up exactly one row and checks exactly
 * one hash (as WildDuck's and Stalwart's application passwords do), however many a mailbox has.
 */
export class AppPassword {
  readonly id: string = newId();
  readonly mailbox: Mailbox;
  /** The mailbox's owner (its domain's), kept on the row for the tenant policy (issue #19). */
  readonly ownerId: string;
  readonly name: string;
  /** Public, unique: the second part of the secret (`ap-<selector>-…`). */
  readonly selector: string;
  /** argon2id hash of the whole secret in PHC form; hidden from serialization. */
  readonly hash: string;
  readonly protocols: MailProtocol[];
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null = null;
  readonly lastUsedAt: Date | null = null;
  readonly lastUsedFrom: string | null = null;
  readonly createdAt: Date;

  constructor(props: {
    mailbox: Mailbox;
    name: string;
    selector: string;
    hash: string;
    protocols: readonly MailProtocol[];
    expiresAt?: Date | null;
    now?: Date;
  }) {
    const now = props.now ?? new Date();
    this.mailbox = props.mailbox;
    this.ownerId = props.mailbox.ownerId;
    this.name = AppPassword.checkName(props.name);
    this.selector = props.selector;
    this.hash = props.hash;
    this.protocols = checkProtocols(props.protocols);
    this.expiresAt = AppPassword.checkExpiry(props.expiresAt ?? null, now);
    this.createdAt = now;
  }

  /** A fresh secret and its selector; the caller hashes the secret and shows it once. */
  static generateSecret(): { selector: string; secret: string } {
    const selector = randomBase32(SELECTOR_LENGTH);
    return { selector, secret: `ap-${selector}-${randomBase32(SECRET_LENGTH)}` };
  }

  /** The selector of something shaped like an application password, or null. */
  static selectorOf(secret: string): string | null {
    return APP_PASSWORD_PATTERN.exec(secret)?.[1] ?? null;
  }

  static checkName(name: unknown): string {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (
      trimmed === '' ||
      trimmed.length > MAX_APP_PASSWORD_NAME_LENGTH ||
      !trimmed.isWellFormed() ||
      /\p{Cc}/u.test(trimmed)
    ) {
      throw new ValidationError(
        'INVALID_NAME',
        `an application password's name is 1 to ${MAX_APP_PASSWORD_NAME_LENGTH} characters of printable text`,
      );
    }
    return trimmed;
  }

  static checkExpiry(expiresAt: unknown, now: Date): Date | null {
    if (expiresAt === null) return null;
    if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime()) || expiresAt <= now) {
      throw new ValidationError('INVALID_EXPIRY', 'an expiry must be a valid time in the future');
    }
    return expiresAt;
  }

  get isRevoked(): boolean {
    return this.revokedAt !== null;
  }

  /** Live (not revoked, not expired) and allowed for `protocol`. */
  admits(protocol: MailProtocol, now = new Date()): boolean {
    return !this.isRevoked && (this.expiresAt === null || this.expiresAt > now) && this.protocols.includes(protocol);
  }

  /** Revoking twice keeps the first time. */
  revoke(now = new Date()): void {
    if (!this.isRevoked) update(this, { revokedAt: now });
  }

  /** The same secret rehashed with current parameters (a new secret is a new application password). */
  replace(hash: string): void {
    update(this, { hash });
  }

  recordUse(remoteAddress: string | null, now = new Date()): void {
    update(this, { lastUsedAt: now, lastUsedFrom: AppPassword.checkRemoteAddress(remoteAddress) });
  }

  /** What a server reports as the client's address: kept as text, bounded; anything else is dropped. */
  static checkRemoteAddress(remoteAddress: unknown): string | null {
    if (typeof remoteAddress !== 'string') return null;
    const trimmed = remoteAddress.trim();
    return trimmed !== '' && trimmed.length <= MAX_REMOTE_ADDRESS_LENGTH && /^[0-9A-Za-z.:%_-]+$/.test(trimmed)
      ? trimmed
      : null;
  }

  toJSON(): Record<string, unknown> {
    const { hash: _hidden, mailbox, ...rest } = this;
    return { ...rest, mailboxId: mailbox.id };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AppPassword { id: '${this.id}', name: ${JSON.stringify(this.name)}, selector: '${this.selector}' }`;
  }
}
