import type { Mailbox } from './mailbox.js';
import type { AttachmentInfo, Envelope, Message, MimePart } from './raw-message.js';

/** A SHA-256 in lower-case hex. */
export const CONTENT_HASH_LENGTH = 64;

/**
 * A message as received, stored once per mailbox however many of its emails hold a copy (copies,
 * moves): keyed by the mailbox and the SHA-256 of its bytes, so it lives beside the mailbox's mail
 * (co-located with it when the store is distributed by mailbox: issue #19). Written by the store (an
 * upsert that keeps the first copy) and removed by it when the last email of its mailbox that refers
 * to it goes; never changed.
 */
export class StoredMessage {
  readonly mailbox: Mailbox;
  /** The mailbox's owner (the tenant policy compares it with the acting user). */
  readonly ownerId: string;
  readonly contentHash: string;
  readonly raw: Buffer;
  readonly sizeBytes: number;
  readonly envelope: Envelope;
  readonly structure: MimePart;
  readonly attachments: AttachmentInfo[];
  readonly html: string | null;
  readonly createdAt: Date;

  constructor(mailbox: Mailbox, message: Message, now = new Date()) {
    this.mailbox = mailbox;
    this.ownerId = mailbox.ownerId;
    this.contentHash = message.contentHash;
    this.raw = message.raw;
    this.sizeBytes = message.sizeBytes;
    this.envelope = message.envelope;
    this.structure = message.structure;
    this.attachments = message.attachments;
    this.html = message.html;
    this.createdAt = now;
  }
}
