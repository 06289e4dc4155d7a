import type { AttachmentInfo, Envelope, Message, MimePart } from './raw-message.js';

/** A SHA-256 in lower-case hex. */
export const CONTENT_HASH_LENGTH = 64;

/**
 * A message as received, stored once however many mailboxes hold a copy: keyed by the SHA-256 of
 * its bytes. Written by the store (an upsert that keeps the first copy) and removed by it when the
 * last email that refers to it goes; never changed.
 */
export class StoredMessage {
  readonly contentHash: string;
  readonly raw: Buffer;
  readonly sizeBytes: number;
  readonly envelope: Envelope;
  readonly structure: MimePart;
  readonly attachments: AttachmentInfo[];
  readonly html: string | null;
  readonly createdAt: Date;

  constructor(message: Message, now = new Date()) {
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
