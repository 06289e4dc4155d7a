import { randomUUID } from 'node:crypto';
import { utf8Length } from './byte-size.js';
import { EmailAddress } from './email-address.js';
import { DomainError, ValidationError } from './errors.js';
import MailComposer from 'nodemailer/lib/mail-composer';
import { contentHashOf, type Message, parseRawMessage } from './raw-message.js';

export type { Message } from './raw-message.js';

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

/** The checked fields of a structured message, before it is composed into a raw one. */
export interface CheckedMessageInput {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  body: string;
  messageId: string;
}

export function checkMessageInput(input: MessageInput): CheckedMessageInput {
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
  return { from, to, cc, subject, body, messageId };
}

/**
 * The structured convenience: checks the fields, composes the RFC 5322 message they describe
 * (nodemailer's MailComposer: encoded words, a text/plain UTF-8 body in quoted-printable or
 * base64 as it needs), and parses that like any raw message, so both paths store the same thing.
 */
export async function composeMessage(input: MessageInput, date = new Date()): Promise<Message> {
  const checked = checkMessageInput(input);
  const parsed = await parseRawMessage(await composeRaw(checked, date));
  // the text as given (the composed message ends its body with a line break of its own)
  return { ...parsed, body: checked.body, subject: checked.subject };
}

export async function composeRaw(m: CheckedMessageInput, date = new Date()): Promise<Buffer> {
  return new MailComposer({
    from: m.from,
    to: m.to,
    ...(m.cc.length > 0 ? { cc: m.cc } : {}),
    subject: m.subject,
    text: m.body,
    messageId: m.messageId,
    date,
  })
    .compile()
    .build();
}

/** A message given raw (bytes) or structured: both become a parsed raw message. */
export async function toMessage(input: MessageInput | Buffer | Uint8Array): Promise<Message> {
  return input instanceof Uint8Array ? parseRawMessage(input) : composeMessage(input);
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

/**
 * A plain-text message built without a parser, for bulk writers that must stay synchronous (the
 * seeders, the migration's shape): text/plain UTF-8, 8bit, CRLF lines; what the parse would derive
 * is known from the fields. `composeMessage` is the path for delivery.
 */
export function plainMessage(m: CheckedMessageInput, date: Date): Message {
  const encode = (text: string) =>
    /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
  const header = [
    `From: ${m.from}`,
    `To: ${m.to.join(', ')}`,
    ...(m.cc.length > 0 ? [`Cc: ${m.cc.join(', ')}`] : []),
    `Subject: ${encode(m.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${m.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ].join('\r\n');
  const raw = Buffer.from(`${header}\r\n\r\n${m.body.replace(/\r?\n/g, '\r\n')}`, 'utf8');
  const part = {
    part: '',
    type: 'text',
    subtype: 'plain',
    params: { charset: 'utf-8' },
    id: null,
    description: null,
    encoding: '8bit',
    size: Buffer.byteLength(m.body),
    lines: m.body.split('\n').length,
    disposition: null,
    language: null,
    children: [],
  };
  const list = (addresses: string[]) => addresses.map((address) => ({ name: '', address }));
  return {
    raw,
    contentHash: contentHashOf(raw),
    sizeBytes: raw.length,
    envelope: {
      date: date.toISOString(),
      subject: m.subject,
      from: list([m.from]),
      sender: [],
      replyTo: [],
      to: list(m.to),
      cc: list(m.cc),
      bcc: [],
      messageId: m.messageId,
      inReplyTo: null,
      references: null,
    },
    structure: part,
    attachments: [],
    html: null,
    from: m.from,
    to: m.to,
    cc: m.cc,
    subject: m.subject,
    body: m.body,
    messageId: m.messageId,
    malformed: false,
  };
}
