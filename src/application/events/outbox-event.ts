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
  /**
   * The event's place among its key's events: drawn from the key's counter row (`OutboxKey`) under
   * that row's lock when the unit of work writes its events, so per key it is commit order.
   */
  position?: number;
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

/**
 * An ordering key's counter: the last position handed to one of its events. Raised under its row
 * lock by the unit of work that writes the key's events and held to commit, so the next writer of
 * the key numbers after it. A row of the key's own shard (no sequence, no advisory lock): on a
 * distributed database it serialises writers wherever they run.
 */
export class OutboxKey {
  constructor(
    readonly orderingKey: string,
    /** The tenant of the key's events (row-level security, as on the events). */
    readonly tenantId: string,
    readonly lastPosition: number,
  ) {}
}
