import { createHash } from 'node:crypto';
import PostalMime, { type Address, type Email as ParsedEmail } from 'postal-mime';
import { ValidationError } from './errors.js';

/** The largest raw message the store takes (Postfix's default message_size_limit is 10 MiB; big sites raise it). */
export const MAX_RAW_MESSAGE_BYTES = 64 * 1024 * 1024;

/** An address as a header names it: a display name (may be empty) and the address itself. */
export interface EnvelopeAddress {
  name: string;
  address: string;
}

/** The fields IMAP's ENVELOPE and JMAP's Email/get read from the header, decoded. */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  messageId: string | null;
  inReplyTo: string | null;
  references: string | null;
}

/** One MIME part, enough for IMAP BODYSTRUCTURE and JMAP bodyStructure. */
export interface MimePart {
  /** IMAP part number ("1", "1.2"; "" for the whole message). */
  part: string;
  type: string;
  subtype: string;
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  encoding: string;
  /**
   * Octets of the part's body as transmitted, in its transfer encoding (IMAP BODYSTRUCTURE's
   * size): from after the part's header to before the line break that precedes the next boundary.
   * For a multipart, its whole body (preamble and epilogue included).
   */
  size: number;
  /** Lines of a text/* leaf's body as transmitted (IMAP's body lines); null for other parts. */
  lines: number | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string | null;
  children: MimePart[];
}

export interface AttachmentInfo {
  name: string | null;
  type: string;
  size: number;
  contentId: string | null;
  disposition: string | null;
}

/**
 * A message as received: its exact bytes, their SHA-256 (the content address), and what the MIME
 * parser derived from them. Parsed once per delivery; a part the parser cannot make sense of is
 * left out of what is derived, never out of the bytes.
 */
export interface Message {
  readonly raw: Buffer;
  readonly contentHash: string;
  readonly sizeBytes: number;
  readonly envelope: Envelope;
  readonly structure: MimePart;
  readonly attachments: AttachmentInfo[];
  readonly html: string | null;
  /** The fields the Email row keeps (what the studio and lists show), derived from the envelope. */
  readonly from: string;
  readonly to: string[];
  readonly cc: string[];
  readonly subject: string;
  readonly body: string;
  readonly messageId: string;
  /** Whether the parser gave up part-way (malformed MIME): the bytes are kept all the same. */
  readonly malformed: boolean;
}

export function contentHashOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** Parses a raw RFC 5322 message. Refuses only what is not a message at all (not bytes, empty, too large). */
export async function parseRawMessage(raw: unknown): Promise<Message> {
  if (!(raw instanceof Uint8Array))
    throw new ValidationError('INVALID_MESSAGE', 'a raw message must be bytes (a Buffer)');
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.length === 0) throw new ValidationError('INVALID_MESSAGE', 'a raw message cannot be empty');
  if (bytes.length > MAX_RAW_MESSAGE_BYTES) {
    throw new ValidationError('INVALID_MESSAGE', `a raw message is at most ${MAX_RAW_MESSAGE_BYTES} bytes`);
  }
  const owned = Buffer.from(bytes); // the caller may reuse its buffer: what we hash is what we keep
  let parsed: ParsedEmail | null = null;
  let root: MimeNodeShape | null = null;
  try {
    const parser = new PostalMime({ attachmentEncoding: 'arraybuffer' });
    parsed = await parser.parse(owned);
    root = (parser as unknown as { root?: MimeNodeShape }).root ?? null;
  } catch {
    parsed = null;
  }
  const envelope = parsed ? envelopeOf(parsed) : emptyEnvelope();
  const first = (list: EnvelopeAddress[]) => list[0]?.address ?? '';
  return {
    raw: owned,
    contentHash: contentHashOf(owned),
    sizeBytes: owned.length,
    envelope,
    structure: root ? partOf(root, '', owned, { start: 0, end: owned.length }) : fallbackPart(owned.length),
    attachments: (parsed?.attachments ?? []).map((a) => ({
      name: clean(a.filename ?? null),
      type: a.mimeType,
      size: typeof a.content === 'string' ? a.content.length : (a.content as ArrayBuffer).byteLength,
      contentId: clean(a.contentId ?? null),
      disposition: a.disposition ?? null,
    })),
    html: clean(parsed?.html ?? null),
    from: limit(first(envelope.from), 254),
    to: envelope.to.map((a) => limit(a.address, 254)).filter(Boolean),
    cc: envelope.cc.map((a) => limit(a.address, 254)).filter(Boolean),
    subject: clean(envelope.subject) ?? '',
    body: clean(parsed?.text ?? null) ?? '',
    messageId: limit(envelope.messageId ?? '', 998),
    malformed: parsed === null,
  };
}

/** Text PostgreSQL can keep: no NUL characters. */
function clean(value: string | null): string | null {
  return value === null ? null : value.replaceAll('\0', '\uFFFD');
}

function limit(value: string, max: number): string {
  const cleaned = clean(value)!.replace(/[\p{Cc}]/gu, ' ');
  return Buffer.byteLength(cleaned) <= max
    ? cleaned
    : Buffer.from(cleaned)
        .subarray(0, max)
        .toString('utf8')
        .replace(/\uFFFD$/u, '');
}

function addresses(list: Address[] | Address | undefined): EnvelopeAddress[] {
  const items = list === undefined ? [] : Array.isArray(list) ? list : [list];
  return items.flatMap((a) =>
    a.group
      ? a.group.map((m) => ({ name: clean(m.name)!, address: clean(m.address)! }))
      : [{ name: clean(a.name)!, address: clean(a.address ?? '')! }],
  );
}

function envelopeOf(m: ParsedEmail): Envelope {
  return {
    date: clean(m.date ?? null),
    subject: clean(m.subject ?? null),
    from: addresses(m.from),
    sender: addresses(m.sender),
    replyTo: addresses(m.replyTo),
    to: addresses(m.to),
    cc: addresses(m.cc),
    bcc: addresses(m.bcc),
    messageId: clean(m.messageId ?? null),
    inReplyTo: clean(m.inReplyTo ?? null),
    references: clean(m.references ?? null),
  };
}

function emptyEnvelope(): Envelope {
  return {
    date: null,
    subject: null,
    from: [],
    sender: [],
    replyTo: [],
    to: [],
    cc: [],
    bcc: [],
    messageId: null,
    inReplyTo: null,
    references: null,
  };
}

function fallbackPart(size: number): MimePart {
  return {
    part: '',
    type: 'text',
    subtype: 'plain',
    params: {},
    id: null,
    description: null,
    encoding: '7bit',
    size,
    lines: null,
    disposition: null,
    language: null,
    children: [],
  };
}

/**
 * The shape of postal-mime's part tree (`PostalMime#root`, marked internal in its typings: the
 * package exposes no other way to the tree). test/infrastructure/upstream/postal-mime-part-tree.test.ts pins what is used.
 */
interface MimeNodeShape {
  childNodes: MimeNodeShape[];
  contentType: { value: string; parsed: { value: string; params: Record<string, string> }; multipart: string | false };
  contentTransferEncoding?: { value: string; encoding: string };
  contentDisposition?: { value: string; parsed: { value: string; params: Record<string, string> } };
  contentId?: string;
  contentDescription?: string;
  headers: { key: string; value: string }[];
  content: ArrayBuffer | null;
}

/** A part's bytes in the raw message, header included: [start, end). */
interface Span {
  start: number;
  end: number;
}

/**
 * A part of the tree with its sizes measured on the raw bytes. postal-mime's tree gives the
 * structure (types, parameters, the boundary of each multipart); the bytes give the sizes, by the
 * boundaries, so they are the octets as transmitted. A part whose bytes cannot be matched to the
 * tree (malformed MIME whose parts postal-mime counts differently) gets its decoded size instead.
 */
function partOf(node: MimeNodeShape, number: string, raw: Buffer, span: Span | null): MimePart {
  const [type = 'text', subtype = 'plain'] = (node.contentType?.parsed?.value || 'text/plain').toLowerCase().split('/');
  const content = node.content ? new Uint8Array(node.content) : new Uint8Array();
  const isText = type === 'text';
  const isLeaf = !node.childNodes?.length;
  const disposition = node.contentDisposition?.parsed?.value
    ? { type: node.contentDisposition.parsed.value.toLowerCase(), params: { ...node.contentDisposition.parsed.params } }
    : null;
  const body = span ? { start: bodyStartOf(raw, span), end: span.end } : null;
  const childSpans = body && !isLeaf ? partSpansOf(raw, body, boundaryOf(node)) : [];
  const matched = childSpans.length === node.childNodes.length;
  const children = (node.childNodes ?? []).map((child, i) =>
    partOf(child, number ? `${number}.${i + 1}` : `${i + 1}`, raw, matched ? childSpans[i]! : null),
  );
  const encoded = body ? raw.subarray(body.start, body.end) : null;
  return {
    part: number,
    type,
    subtype,
    params: { ...(node.contentType?.parsed?.params ?? {}) },
    id: clean(node.contentId ?? null),
    description: clean(node.contentDescription ?? null),
    encoding: (node.contentTransferEncoding?.encoding || '7bit').toLowerCase(),
    size: encoded ? encoded.length : isLeaf ? content.byteLength : 0,
    lines: isText && isLeaf ? countLines(encoded ?? content) : null,
    disposition,
    language: clean(node.headers?.find((h) => h.key === 'content-language')?.value ?? null),
    children,
  };
}

/** The boundary postal-mime registered for a multipart: trailing whitespace trimmed, ASCII only. */
function boundaryOf(node: MimeNodeShape): string {
  const boundary = (node.contentType?.parsed?.params?.boundary || '').trimEnd();
  return /[^\x00-\x7f]/.test(boundary) ? '' : boundary;
}

/** Where a part's body starts: after the first empty line (the end of its header), or at its end. */
function bodyStartOf(raw: Buffer, span: Span): number {
  for (let at = span.start; at < span.end;) {
    const lf = raw.indexOf(0x0a, at);
    const next = lf < 0 || lf >= span.end ? span.end : lf + 1;
    const line = raw.subarray(at, next);
    if (line.length > 0 && (line[0] === 0x0a || (line[0] === 0x0d && line[1] === 0x0a))) return next;
    at = next;
  }
  return span.end;
}

/**
 * The parts of a multipart body, split at its delimiter lines (`--boundary`, then only spaces or
 * tabs; `--boundary--` closes). A part runs from after its delimiter line to before the line break
 * that precedes the next one: that break belongs to the delimiter (RFC 2046 5.1.1).
 */
function partSpansOf(raw: Buffer, body: Span, boundary: string): Span[] {
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const spans: Span[] = [];
  let open: number | null = null;
  for (let at = body.start; at < body.end;) {
    const lf = raw.indexOf(0x0a, at);
    const next = lf < 0 || lf >= body.end ? body.end : lf + 1;
    let text = next;
    while (text > at && (raw[text - 1] === 0x0a || raw[text - 1] === 0x0d)) text--;
    const line = raw.subarray(at, text);
    if (line.length >= delimiter.length && line.subarray(0, delimiter.length).equals(delimiter)) {
      let rest = line.subarray(delimiter.length);
      const closing = rest[0] === 0x2d && rest[1] === 0x2d;
      if (closing) rest = rest.subarray(2);
      if (rest.every((b) => b === 0x20 || b === 0x09)) {
        if (open !== null) spans.push({ start: open, end: lineBreakStart(raw, open, at) });
        if (closing) return spans;
        open = next;
      }
    }
    at = next;
  }
  if (open !== null) spans.push({ start: open, end: body.end });
  return spans;
}

/** The start of the line break just before `at` (not before `floor`). */
function lineBreakStart(raw: Buffer, floor: number, at: number): number {
  let end = at;
  if (end > floor && raw[end - 1] === 0x0a) end--;
  if (end > floor && raw[end - 1] === 0x0d) end--;
  return end;
}

function countLines(content: Uint8Array): number {
  let n = 0;
  for (const byte of content) if (byte === 10) n++;
  return content.length > 0 && content[content.length - 1] !== 10 ? n + 1 : n;
}
