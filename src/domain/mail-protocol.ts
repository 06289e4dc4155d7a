import { ValidationError } from './errors.js';

/**
 * The protocols a mailbox logs in with; an application password is scoped to some of them. The
 * names are the service names Dovecot passes to its passdb (`%s`): Postfix's SASL logins arrive
 * as `smtp`, Dovecot's own submission server as `submission` (the `smtp` scope covers both).
 */
export const MAIL_PROTOCOLS = ['imap', 'pop3', 'smtp', 'sieve'] as const;
export type MailProtocol = (typeof MAIL_PROTOCOLS)[number];

export function isMailProtocol(value: unknown): value is MailProtocol {
  return typeof value === 'string' && (MAIL_PROTOCOLS as readonly string[]).includes(value);
}

/** A non-empty set of known protocols, without repeats, in the canonical order. */
export function checkProtocols(protocols: unknown): MailProtocol[] {
  if (!Array.isArray(protocols) || protocols.length === 0 || !protocols.every(isMailProtocol)) {
    throw new ValidationError('INVALID_PROTOCOL', `protocols must be one or more of ${MAIL_PROTOCOLS.join(', ')}`);
  }
  return MAIL_PROTOCOLS.filter((p) => protocols.includes(p));
}
