/**
 * What the LMTP agent answers for each outcome: a verdict about the message and the recipient is
 * permanent (5xx, with the domain error's code in the text), everything else is temporary (4xx),
 * so the MTA keeps the message — a statement timeout, a full pool, a lost connection, a bug.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, DomainError, type ErrorCode } from '../../src/domain/errors.js';
import { replyFor } from '../../src/infrastructure/mail/lmtp/replies.js';

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

describe('LMTP replies', () => {
  it('answers every domain error: the rules that refuse this delivery 5xx, every other code 4xx', () => {
    for (const code of ERROR_CODES) {
      const reply = replyFor('r@example.test', new DomainError(code, 'because'));
      const expected = PERMANENT[code] ?? (code === 'TOO_MANY_RECIPIENTS' ? 452 : 451);
      expect({ code, reply: reply.code }).toEqual({ code, reply: expected });
      expect(reply.text).toBe(`<r@example.test> ${code}: because`);
    }
  });

  it('a statement timeout, a lost connection or a full pool is temporary, never a bounce', () => {
    for (const code of ['STATEMENT_TIMEOUT', 'DATABASE_UNAVAILABLE', 'CONCURRENT_UPDATE'] as const) {
      expect(replyFor('r@example.test', new DomainError(code, 'x')).code).toBe(451);
    }
    // not a domain error at all (a bug): temporary too, and no internals in the reply
    const reply = replyFor('r@example.test', new TypeError('secret internals'));
    expect(reply).toEqual({ code: 451, text: '<r@example.test> temporary failure, try again later' });
  });
});
