/**
 * How a delivery's outcome is told to the LMTP client (RFC 2033: one reply per accepted RCPT after
 * DATA), with the reply codes of RFC 5321 and the enhanced status codes of RFC 3463. A refusal
 * carries the domain error's stable code in its text, so an operator reading Postfix's log sees
 * exactly which rule refused the message.
 *
 * Temporary (4xx) means "keep the message and try again": everything that is not a verdict about
 * this message and this recipient — the database down or slow, the pool full, a concurrent update
 * that lost its race, a bug — is temporary. A permanent (5xx) reply makes the MTA bounce, so it is
 * given only for a rule that will refuse the same delivery again.
 */
import { type ErrorCode, isDomainError } from '../../../domain/errors.js';

export interface LmtpReply {
  /** The basic reply code: 250, 4xx or 5xx. */
  code: number;
  /** The text after the code (smtp-server adds the enhanced status code for the basic one). */
  text: string;
}

/**
 * Domain refusals that are verdicts, with their reply code. smtp-server derives the enhanced code
 * from the basic one (550 → 5.1.1, 552 → 5.2.2, 554 → 5.6.0, 452 → 4.2.2, 451 → 4.3.0).
 */
const PERMANENT: Partial<Record<ErrorCode, number>> = {
  NO_SUCH_RECIPIENT: 550,
  INVALID_EMAIL_ADDRESS: 550,
  MAILBOX_SUSPENDED: 550,
  DOMAIN_SUSPENDED: 550,
  DOMAIN_NOT_VERIFIED: 550,
  USER_SUSPENDED: 550,
  QUOTA_EXCEEDED: 552,
  ALIAS_LOOP: 554,
  INVALID_MESSAGE: 554,
};

const TEMPORARY: Partial<Record<ErrorCode, number>> = {
  TOO_MANY_RECIPIENTS: 452,
};

export const DELIVERED: LmtpReply = { code: 250, text: 'delivered' };

/** The reply for a recipient whose delivery failed with `error`. */
export function replyFor(recipient: string, error: unknown): LmtpReply {
  if (isDomainError(error)) {
    const code = PERMANENT[error.code] ?? TEMPORARY[error.code] ?? 451;
    return { code, text: `<${recipient}> ${error.code}: ${error.message}` };
  }
  // not a verdict about this message: the MTA keeps it and retries
  return { code: 451, text: `<${recipient}> temporary failure, try again later` };
}

export const tooBig = (limit: number): LmtpReply => ({
  code: 552,
  text: `message exceeds the fixed maximum message size of ${limit} bytes`,
});

export const shuttingDown: LmtpReply = { code: 421, text: 'shutting down, try again later' };
