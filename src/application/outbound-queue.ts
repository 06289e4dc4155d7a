/**
 * Recording mail for the outbound relay, inside the unit of work that sends (or forwards) it: one
 * queue entry per external recipient, with its `outbound.queued` event. The entries are due at
 * once, on the database's clock (the clock every claim and deferral runs on).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { utf8Length } from '../domain/byte-size.js';
import { MAX_ADDRESS_OCTETS } from '../domain/email-address.js';
import type { Mailbox } from '../domain/mailbox.js';
import { OutboundMessage } from '../domain/outbound-message.js';
import type { User } from '../domain/user.js';
import { recordUserEvent } from './events/outbox.js';

/** The database's clock (the transaction's start): what leases, backoff and due times are measured on. */
export async function databaseNow(em: EntityManager): Promise<Date> {
  const [row] = await em
    .getConnection()
    .execute<{ now: Date }[]>('select now() as now', [], 'all', em.getTransactionContext());
  return new Date(row!.now);
}

const ENVELOPE_ADDRESS = /^[^@\s]+@[^@\s]+$/;

export async function queueOutbound(
  em: EntityManager,
  props: {
    tenant: User;
    senderMailbox: Mailbox | null;
    envelopeSender: string;
    recipients: string[];
    message: { contentHash: string; raw: Buffer };
  },
): Promise<OutboundMessage[]> {
  const recipients = [...new Set(props.recipients)];
  if (recipients.length === 0) return [];
  const now = await databaseNow(em);
  // a forwarded message whose From is not an address goes out with the null sender (as a bounce would)
  const envelopeSender =
    ENVELOPE_ADDRESS.test(props.envelopeSender) && utf8Length(props.envelopeSender) <= MAX_ADDRESS_OCTETS
      ? props.envelopeSender
      : '';
  const entries = recipients.map(
    (recipient) =>
      new OutboundMessage({
        tenant: props.tenant,
        senderMailbox: props.senderMailbox,
        envelopeSender,
        recipient,
        message: props.message,
        now,
      }),
  );
  em.persist(entries);
  for (const entry of entries) {
    recordUserEvent(em, 'outbound.queued', props.tenant, {
      outboundId: entry.id,
      recipient: entry.recipient,
      mailboxId: props.senderMailbox?.id ?? null,
    });
  }
  return entries;
}
