import { randomBytes } from 'node:crypto';
import { Collection } from '@mikro-orm/core';
import { parseQuotaBytes } from './byte-size.js';
import type { AddressKind } from './address.js';
import type { Alias } from './alias.js';
import { DomainName } from './domain-name.js';
import { AccessDeniedError, RuleViolationError, ValidationError } from './errors.js';
import { newId, update } from './identity.js';
import type { Mailbox } from './mailbox.js';
import type { User } from './user.js';

export const DOMAIN_STATUSES = ['active', 'suspended'] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/** Per-domain limits; 0 means unlimited. */
export interface DomainLimits {
  maxMailboxes: number;
  maxAliases: number;
  defaultQuotaBytes: number;
  maxQuotaBytes: number;
}

export const DEFAULT_LIMITS: DomainLimits = {
  maxMailboxes: 0,
  maxAliases: 0,
  defaultQuotaBytes: 1024 ** 3, // 1 GiB
  maxQuotaBytes: 0,
};

/** Which limit caps each kind of address on a domain, and how reaching it is refused. */
const CLAIM_LIMITS = {
  mailbox: { limit: 'maxMailboxes', code: 'MAILBOX_LIMIT_REACHED', plural: 'mailboxes' },
  alias: { limit: 'maxAliases', code: 'ALIAS_LIMIT_REACHED', plural: 'aliases' },
} as const satisfies Record<AddressKind, { limit: keyof DomainLimits; code: string; plural: string }>;

export const VERIFICATION_PREFIX = 'aether-verification=';

/** Looks up the TXT records of a DNS name; each record is a list of character strings. */
export type TxtResolver = (hostname: string) => Promise<string[][]>;

/** What a domain holds, counted under its row lock, that a change of limits must leave room for. */
export interface HeldResources {
  mailboxes: number;
  aliases: number;
  /** The largest mailbox quota on the domain; 0 when some mailbox is unlimited; null with no mailboxes. */
  largestQuotaBytes: number | null;
}

/**
 * A user's claim of a mail domain. It receives mail only once verified and while active.
 *
 * A name belongs to whoever proves control of it through DNS. Until then several users may each
 * hold one unverified claim of the same name; none blocks the others. Verifying one claim
 * releases every other claim of the name, with its mailboxes, aliases, folders and email, and
 * from then on nobody else can add or verify that name (`DOMAIN_TAKEN`). Addresses stay unique
 * across all claims: while two claims coexist, an address created on one blocks the same
 * address on the other until verification releases the losing claim.
 */
export class Domain {
  readonly id: string = newId();
  /** ASCII (punycode) form, lower-case: the stored and unique form. */
  readonly name: string;
  /**
   * The name as people read it, computed by the database from `name` (a generated column) so
   * lists sort as people read; present on loaded rows only. In code, use `displayName`.
   */
  readonly unicodeName?: string;
  readonly owner: User;
  readonly verificationToken: string = randomBytes(16).toString('hex');
  readonly verified: boolean = false;
  readonly verifiedAt: Date | null = null;
  readonly status: DomainStatus = 'active';
  readonly maxMailboxes: number;
  readonly maxAliases: number;
  readonly defaultQuotaBytes: number;
  readonly maxQuotaBytes: number;
  readonly createdAt: Date;
  readonly version: number = 1;
  readonly mailboxes = new Collection<Mailbox>(this);
  readonly aliases = new Collection<Alias>(this);

  constructor(props: { name: DomainName; owner: User; limits?: Partial<DomainLimits>; now?: Date }) {
    props.owner.assertActive();
    this.name = props.name.ascii;
    this.owner = props.owner;
    const limits = Domain.checkLimits({ ...DEFAULT_LIMITS, ...props.limits });
    this.maxMailboxes = limits.maxMailboxes;
    this.maxAliases = limits.maxAliases;
    this.defaultQuotaBytes = limits.defaultQuotaBytes;
    this.maxQuotaBytes = limits.maxQuotaBytes;
    this.createdAt = props.now ?? new Date();
  }

  static checkLimits(limits: DomainLimits): DomainLimits {
    for (const key of ['maxMailboxes', 'maxAliases'] as const) {
      const value = limits[key];
      if (!Number.isSafeInteger(value) || value < 0 || value > 1_000_000_000) {
        throw new ValidationError('INVALID_LIMIT', `${key} must be a whole number from 0 (unlimited) upwards`);
      }
    }
    const maxQuotaBytes = parseQuotaBytes(limits.maxQuotaBytes, 'maxQuotaBytes');
    const defaultQuotaBytes = parseQuotaBytes(limits.defaultQuotaBytes, 'defaultQuotaBytes');
    if (maxQuotaBytes > 0 && (defaultQuotaBytes === 0 || defaultQuotaBytes > maxQuotaBytes)) {
      throw new ValidationError('INVALID_QUOTA', 'the default mailbox quota must not exceed the maximum quota');
    }
    // only the four limits: the caller's object may carry any other key (verified, name, owner …)
    return { maxMailboxes: limits.maxMailboxes, maxAliases: limits.maxAliases, defaultQuotaBytes, maxQuotaBytes };
  }

  /** The name as people read it (Unicode for internationalised names), from the stored ASCII form. */
  static displayNameOf(name: string): string {
    return DomainName.parse(name).unicode;
  }

  /** The TXT record that proves control of the domain `name` holding `token`. */
  static verificationRecordOf(name: string, token: string): { type: 'TXT'; name: string; value: string } {
    return { type: 'TXT', name, value: `${VERIFICATION_PREFIX}${token}` };
  }

  get domainName(): DomainName {
    return DomainName.parse(this.name);
  }

  /** The name as people read it (Unicode for internationalised names). */
  get displayName(): string {
    return Domain.displayNameOf(this.name);
  }

  get limits(): DomainLimits {
    const { maxMailboxes, maxAliases, defaultQuotaBytes, maxQuotaBytes } = this;
    return { maxMailboxes, maxAliases, defaultQuotaBytes, maxQuotaBytes };
  }

  /** The TXT record the owner publishes to prove control of the domain. */
  get verificationRecord(): { type: 'TXT'; name: string; value: string } {
    return Domain.verificationRecordOf(this.name, this.verificationToken);
  }

  get receivesMail(): boolean {
    return this.verified && this.status === 'active';
  }

  isOwnedBy(user: User): boolean {
    return this.owner.id === user.id;
  }

  assertOwnedBy(user: User): void {
    user.assertActive();
    if (!this.isOwnedBy(user)) {
      throw new AccessDeniedError('NOT_OWNER', `only the owner of ${this.displayName} may manage it`);
    }
  }

  /** Verifies the domain from the TXT records found at its name; refuses when the proof is absent. */
  verify(txtRecords: string[][], now = new Date()): void {
    const expected = this.verificationRecord.value;
    const found = txtRecords.some((chunks) => chunks.join('').trim() === expected);
    if (!found) {
      throw new RuleViolationError(
        'DOMAIN_VERIFICATION_FAILED',
        `no TXT record "${expected}" found at ${this.name}; publish it and try again`,
      );
    }
    if (!this.verified) update(this, { verified: true, verifiedAt: now });
  }

  suspend(): void {
    update(this, { status: 'suspended' });
  }

  activate(): void {
    update(this, { status: 'active' });
  }

  /** Changes the limits; none may end below what the domain already holds (`held`). */
  changeLimits(limits: Partial<DomainLimits>, held: HeldResources): void {
    const next = Domain.checkLimits({ ...this.limits, ...limits });
    const below = (what: string) =>
      new RuleViolationError(
        'LIMIT_BELOW_USAGE',
        `${this.displayName} already holds ${what}; raise the limit or remove some first`,
      );
    if (next.maxMailboxes > 0 && held.mailboxes > next.maxMailboxes) {
      throw below(`${held.mailboxes} mailboxes, more than ${next.maxMailboxes}`);
    }
    if (next.maxAliases > 0 && held.aliases > next.maxAliases) {
      throw below(`${held.aliases} aliases, more than ${next.maxAliases}`);
    }
    const largest = held.largestQuotaBytes;
    if (next.maxQuotaBytes > 0 && largest !== null && (largest === 0 || largest > next.maxQuotaBytes)) {
      throw below(
        `a mailbox with ${largest === 0 ? 'an unlimited quota' : `a quota of ${largest} bytes`}, over ${next.maxQuotaBytes} bytes`,
      );
    }
    update(this, next);
  }

  assertReceivesMail(): void {
    this.assertInService('receives');
  }

  /** Only a domain that receives mail may send it: verified (its owner proved control) and active. */
  assertSendsMail(): void {
    this.assertInService('sends');
  }

  private assertInService(verb: 'receives' | 'sends'): void {
    if (!this.verified) {
      throw new RuleViolationError('DOMAIN_NOT_VERIFIED', `${this.displayName} is not verified and ${verb} no mail`);
    }
    if (this.status !== 'active') {
      throw new RuleViolationError('DOMAIN_SUSPENDED', `${this.displayName} is suspended and ${verb} no mail`);
    }
  }

  /** The quota for a new mailbox: the requested one, or the domain default, within the domain maximum. */
  quotaFor(requested?: number): number {
    const quota = requested === undefined ? this.defaultQuotaBytes : parseQuotaBytes(requested);
    if (this.maxQuotaBytes > 0 && (quota === 0 || quota > this.maxQuotaBytes)) {
      throw new ValidationError(
        'INVALID_QUOTA',
        `${this.displayName} allows mailbox quotas of at most ${this.maxQuotaBytes} bytes`,
      );
    }
    return quota;
  }

  /**
   * Refuses a new address of `kind` when the domain already holds its limit of them (`held`,
   * counted by the caller under the domain's row lock). Every claim of an address goes through
   * here, so a new rule for claiming (a limit, a reserved name) is added in one place.
   */
  assertCanClaim(kind: AddressKind, held: number): void {
    const { limit, code, plural } = CLAIM_LIMITS[kind];
    const max = this[limit];
    if (max > 0 && held >= max) {
      throw new RuleViolationError(code, `${this.displayName} allows at most ${max} ${plural}`);
    }
  }
}
