import { Collection } from '@mikro-orm/core';
import type { Domain } from './domain.js';
import type { EmailAddress } from './email-address.js';
import { AccessDeniedError, ValidationError } from './errors.js';
import { newId, update } from './identity.js';

export const USER_STATUSES = ['active', 'suspended'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const MAX_USER_NAME_LENGTH = 200;

/** A person or organisation that owns mail domains. */
export class User {
  readonly id: string = newId();
  /** Login address in its stored form (`EmailAddress.value`: case-folded, ASCII domain); unique. */
  readonly email: string;
  /** argon2id hash in PHC form. Hidden from serialization; never logged or put in errors. */
  readonly passwordHash: string;
  readonly name: string | null;
  readonly status: UserStatus = 'active';
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number = 1;
  readonly domains = new Collection<Domain>(this);

  constructor(props: { email: EmailAddress; passwordHash: string; name?: string | null; now?: Date }) {
    this.email = props.email.value;
    this.passwordHash = props.passwordHash;
    this.name = User.checkName(props.name ?? null);
    this.createdAt = this.updatedAt = props.now ?? new Date();
  }

  static checkName(name: string | null): string | null {
    if (name === null) return null;
    if (typeof name !== 'string') throw new ValidationError('INVALID_NAME', 'a name must be text or null');
    const trimmed = name.trim();
    if (trimmed === '') return null;
    if (trimmed.length > MAX_USER_NAME_LENGTH || !trimmed.isWellFormed() || /\p{Cc}/u.test(trimmed)) {
      throw new ValidationError(
        'INVALID_NAME',
        `a name is at most ${MAX_USER_NAME_LENGTH} characters of printable text`,
      );
    }
    return trimmed;
  }

  get isActive(): boolean {
    return this.status === 'active';
  }

  rename(name: string | null): void {
    update(this, { name: User.checkName(name) });
  }

  changePasswordHash(passwordHash: string): void {
    update(this, { passwordHash });
  }

  suspend(): void {
    update(this, { status: 'suspended' });
  }

  activate(): void {
    update(this, { status: 'active' });
  }

  /** Suspended users may sign in to nothing and manage nothing. */
  assertActive(): void {
    if (!this.isActive) throw new AccessDeniedError('USER_SUSPENDED', `user ${this.email} is suspended`);
  }

  /** Keeps the hash out of `console.log`, `util.inspect` and JSON, whatever the caller does. */
  toJSON(): Record<string, unknown> {
    const { passwordHash: _hidden, domains: _domains, ...rest } = this;
    return { ...rest };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `User { id: '${this.id}', email: '${this.email}', status: '${this.status}' }`;
  }
}
