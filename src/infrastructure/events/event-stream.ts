/**
 * The JetStream stream the relay publishes to: its configuration (created or updated by the relay
 * at start), the subject of each event, and the message a consumer receives.
 */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { EventData, EventKind, EventScope } from '../../application/events/event-catalogue.js';

const MINUTE_MS = 60_000;
const nanos = (ms: number) => ms * 1_000_000;

export interface EventStreamSettings {
  /** The stream's name (`AETHER_EVENTS_STREAM`). */
  name: string;
  /** The first token of every subject (`AETHER_EVENTS_PREFIX`); the stream takes `<prefix>.>`. */
  subjectPrefix: string;
  /** How long the stream keeps an event (limits retention: consumers do not remove them). */
  maxAgeMs: number;
  /** The most the stream stores; the oldest events go first past it. */
  maxBytes: number;
  /**
   * How long JetStream remembers a message id: a re-published event within it is dropped. A relay
   * that died between publishing and removing an event re-publishes it when it (or a standby)
   * takes over, normally within seconds; the window must be longer than any such outage.
   */
  duplicateWindowMs: number;
}

export const DEFAULT_STREAM: EventStreamSettings = {
  name: 'AETHER_EVENTS',
  subjectPrefix: 'aether',
  maxAgeMs: 7 * 24 * 60 * MINUTE_MS,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 30 * MINUTE_MS,
};

/** Events carry ids and small facts only; a larger one is refused by the stream. */
export const MAX_EVENT_BYTES = 64 * 1024;

export function streamConfig(settings: EventStreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: settings.name,
    subjects: [`${settings.subjectPrefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(settings.maxAgeMs),
    max_bytes: settings.maxBytes,
    max_msg_size: MAX_EVENT_BYTES,
    duplicate_window: nanos(settings.duplicateWindowMs),
    num_replicas: 1,
  };
}

/** Creates the stream, or brings an existing one to the project's settings. */
export async function ensureStream(jsm: JetStreamManager, settings: EventStreamSettings): Promise<void> {
  const config = streamConfig(settings);
  const exists = await jsm.streams.info(settings.name).then(
    () => true,
    (error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return false;
      throw error;
    },
  );
  if (!exists) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (error) {
      // another relay starting at the same time created it first: bring it to our settings
      if (
        !(await jsm.streams.info(settings.name).then(
          () => true,
          () => false,
        ))
      )
        throw error;
    }
  }
  await jsm.streams.update(settings.name, config);
}

/** An outbox row as the relay reads it. */
export interface OutboxRow {
  id: string;
  ordering_key: string;
  kind: EventKind;
  scope: EventScope;
  tenant_id: string;
  domain_id: string | null;
  mailbox_id: string | null;
  modseq: string | null;
  data: EventData;
  occurred_at: Date;
}

/** `<prefix>.<tenant>.<scope>.<scope id>.<kind>`, e.g. `aether.<user id>.mailbox.<mailbox id>.email.delivered`. */
export function subjectOf(prefix: string, row: OutboxRow): string {
  return `${prefix}.${row.tenant_id}.${row.scope}.${row.ordering_key}.${row.kind}`;
}

/** The JSON a consumer receives: the event's ids, kind, time, modseq and facts. */
export interface EventMessage {
  id: string;
  kind: EventKind;
  occurredAt: string;
  tenantId: string;
  domainId: string | null;
  mailboxId: string | null;
  modseq: number | null;
  data: EventData;
}

export function messageOf(row: OutboxRow): EventMessage {
  return {
    id: row.id,
    kind: row.kind,
    occurredAt: row.occurred_at.toISOString(),
    tenantId: row.tenant_id,
    domainId: row.domain_id,
    mailboxId: row.mailbox_id,
    modseq: row.modseq === null ? null : Number(row.modseq),
    data: row.data,
  };
}
