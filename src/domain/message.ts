import { randomUUID } from 'node:crypto';
import { utf8Length } from './byte-size.js';
import { EmailAddress } from './email-address.js';
import { DomainError, ValidationError } from './errors.js';

/** Explicit limits on what one message may carry; documented in the README. */
export const MESSAGE_LIMITS = {
  subjectBytes: 4 * 1024,
  headerBytes: 998, // RFC 5322 line length, for Message-ID and each address
  recipients: 500,
  bodyBytes: 25 * 1024 * 1024,
} as const;

export interface MessageInput {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  body: string;
  messageId?: string;
}

/** A validated message: what an Email stores, with its size in bytes. */
export interface Message {
  readonly from: string;
  readonly to: string[];
  readonly cc: string[];
  readonly subject: string;
  readonly body: string;
  readonly messageId: string;
  readonly sizeBytes: number;
}

function invalid(message: string): never {
  throw new ValidationError('INVALID_MESSAGE', message);
}

/** Text PostgreSQL can store (no NUL, no lone surrogates); headers also refuse control characters. */
function checkText(value: unknown, what: string, maxBytes: number, header: boolean): string {
  if (typeof value !== 'string') invalid(`${what} must be text`);
  if (value.length > maxBytes || utf8Length(value) > maxBytes) invalid(`${what} is larger than ${maxBytes} bytes`);
  if (!value.isWellFormed()) invalid(`${what} is not valid Unicode text`);
  if (value.includes('\0')) invalid(`${what} contains a NUL character`);
  if (header && /[\p{Cc}]/u.test(value.replaceAll('\t', ' '))) invalid(`${what} contains control characters`);
  return value;
}

function checkAddress(value: unknown, what: string): string {
  if (typeof value !== 'string') invalid(`${what} must be an address`);
  try {
    return EmailAddress.parse(value).value;
  } catch (error) {
    if (error instanceof DomainError) invalid(`${what}: ${error.message}`);
    throw error;
  }
}

function checkAddresses(values: unknown, what: string): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) invalid(`${what} must be a list of addresses`);
  if (values.length > MESSAGE_LIMITS.recipients)
    invalid(`${what} lists more than ${MESSAGE_LIMITS.recipients} addresses`);
  // Array.from visits the holes of a sparse array (as undefined) where map would skip them
  return Array.from(values, (v) => checkAddress(v, what));
}

export function parseMessage(input: MessageInput): Message {
  if (typeof input !== 'object' || input === null) invalid('a message must be an object');
  const from = checkAddress(input.from, 'from');
  const to = checkAddresses(input.to, 'to');
  const cc = checkAddresses(input.cc, 'cc');
  if (to.length + cc.length > MESSAGE_LIMITS.recipients)
    invalid(`a message has at most ${MESSAGE_LIMITS.recipients} recipients`);
  const subject = checkText(input.subject ?? '', 'subject', MESSAGE_LIMITS.subjectBytes, true);
  const body = checkText(input.body ?? '', 'body', MESSAGE_LIMITS.bodyBytes, false);
  const messageId = checkText(
    input.messageId ?? `<${randomUUID()}@${from.split('@')[1]}>`,
    'Message-ID',
    MESSAGE_LIMITS.headerBytes,
    true,
  );
  const sizeBytes = messageSizeBytes({ from, to, cc, subject, body, messageId });
  return { from, to, cc, subject, body, messageId, sizeBytes };
}

/**
 * The size a message counts against its mailbox's quota: its addresses, subject, Message-ID and
 * body in UTF-8 octets. `parseMessage` computes it; the benchmark's baseline reuses it unvalidated.
 */
export function messageSizeBytes(m: MessageInput): number {
  return (
    utf8Length(m.from) +
    [...m.to, ...(m.cc ?? [])].reduce((n, a) => n + utf8Length(a), 0) +
    utf8Length(m.subject) +
    utf8Length(m.messageId ?? '') +
    utf8Length(m.body)
  );
}
