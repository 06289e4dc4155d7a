import { newId } from '../../domain/identity.js';
import { EVENT_KINDS, type EventData, type EventKind, type EventScope } from './event-catalogue.js';

/**
 * One change event waiting in the transactional outbox until the relay has published it. Written
 * in the unit of work that made the change, so it exists exactly when the change does.
 */
export class OutboxEvent {
  /** The event's id: JetStream's message id (`Nats-Msg-Id`), so a re-published event is dropped. */
  readonly id: string = newId();
  /** The id of the scope the event is ordered in (the mailbox, domain or user); first in the key. */
  readonly orderingKey: string;
  /** Assigned by the database at insert, after the ordering key's lock: per key, commit order. */
  readonly position?: number;
  readonly kind: EventKind;
  readonly scope: EventScope;
  /** The user who owns what changed (the tenant of the subject). */
  readonly tenantId: string;
  readonly domainId: string | null;
  readonly mailboxId: string | null;
  /** The mailbox's modification sequence after the change, where the change has one. */
  readonly modseq: number | null;
  readonly data: EventData;
  readonly occurredAt: Date;

  constructor(props: {
    kind: EventKind;
    tenantId: string;
    domainId?: string | null;
    mailboxId?: string | null;
    modseq?: number | null;
    data?: EventData;
    now?: Date;
  }) {
    this.kind = props.kind;
    this.scope = EVENT_KINDS[props.kind];
    this.tenantId = props.tenantId;
    this.domainId = props.domainId ?? null;
    this.mailboxId = props.mailboxId ?? null;
    this.modseq = props.modseq ?? null;
    this.data = props.data ?? {};
    this.occurredAt = props.now ?? new Date();
    const key = { user: this.tenantId, domain: this.domainId, mailbox: this.mailboxId }[this.scope];
    if (!key) throw new Error(`a ${this.kind} event needs its ${this.scope} id`);
    this.orderingKey = key;
  }
}
