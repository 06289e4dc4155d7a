/**
 * The relay: publishes the outbox's events to JetStream, each with its event id as the message id
 * (`Nats-Msg-Id`), and removes them once JetStream has acknowledged them.
 *
 * Ordering. Several relays may run; one leads, the others stand by. Leadership is a session-level
 * PostgreSQL advisory lock: a standby waits on it and takes over the moment the leader's session
 * ends (a crash included, since the server drops a dead session's locks). One publisher keeps the
 * guarantee simple to state: within an ordering key, events reach the stream in `position` order,
 * which is commit order (see `writeRecordedEvents`); keys with older events go first. Per-key locks over buckets would spread the
 * load over relays; the key-first table allows that later, but one relay publishes thousands of
 * events a second, well above what the store writes today.
 *
 * Exactly once downstream. An event published but not yet removed when the relay dies is published
 * again by the next leader; JetStream drops it as a duplicate (same message id within the stream's
 * duplicate window). Within a batch, each ordering key's events are published one after the other,
 * and a key whose publication fails stops there: a later event of the key is never published
 * before an earlier one. Keys proceed concurrently.
 *
 * Wake-ups. The leader LISTENs on the outbox channel, which every unit of work with events NOTIFYs
 * at commit, and otherwise polls every `pollIntervalMs`. LISTEN needs a session of its own: the
 * relay always connects with DATABASE_URL, never through a transaction-mode pooler.
 */
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { OUTBOX_CHANNEL } from '../../application/events/outbox.js';
import { plainClient } from '../database/admin-client.js';
import { type ConnectionTarget, toPgConfig } from '../database/database-url.js';
import { ensureStream, type EventStreamSettings, messageOf, type OutboxRow, subjectOf } from './event-stream.js';

export interface RelayOptions {
  /** The database, connected directly (DATABASE_URL): LISTEN and the leader's lock need a session. */
  database: ConnectionTarget;
  /** NATS servers (`NATS_URL`, comma-separated). */
  servers: string[];
  stream: EventStreamSettings;
  /** Events read and published per round. */
  batchSize?: number;
  /** The fallback poll when no NOTIFY arrives (a lost notification, a relay that just took over). */
  pollIntervalMs?: number;
  /** The pause after a failure (NATS or PostgreSQL unreachable) before the next try. */
  retryDelayMs?: number;
  /** How long to wait for JetStream's acknowledgement of one event. */
  publishTimeoutMs?: number;
  logger?: (line: string) => void;
}

export const RELAY_DEFAULTS = { batchSize: 500, pollIntervalMs: 10_000, retryDelayMs: 1_000, publishTimeoutMs: 5_000 };

/** The leader's lock, one per database and schema. */
const leaderLockKey = (schema: string) => `aether.outbox-relay:${schema}`;

export class OutboxRelay {
  /** Events this relay has had acknowledged (duplicates included) and removed. */
  published = 0;
  private leading = false;
  private stopping = false;
  private wake: ((fromStop: boolean) => void) | null = null;
  /** A NOTIFY arrived since the last round began: the next idle pause is skipped. */
  private poked = false;
  private nats: NatsConnection | null = null;
  private session: pg.Client | null = null;
  private readonly settings: Required<Omit<RelayOptions, 'logger'>>;
  private readonly log: (line: string) => void;
  private running: Promise<void> | null = null;

  constructor(options: RelayOptions) {
    this.settings = { ...RELAY_DEFAULTS, ...options };
    this.log = options.logger ?? ((line) => console.log(`[relay] ${line}`));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Connects to NATS (waiting for it if it is down), makes sure of the stream, then runs until `stop`. */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.poke(true);
    // a standby waits inside pg_advisory_lock: ending its session ends the wait
    if (!this.leading) await this.session?.end().catch(() => {});
    await this.running?.catch(() => {});
    await this.nats?.close().catch(() => {});
  }

  private async run(): Promise<void> {
    const { servers, stream } = this.settings;
    this.nats = await connect({
      servers,
      name: 'aether-outbox-relay',
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    if (this.stopping) return;
    await ensureStream(await jetstreamManager(this.nats), stream);
    this.log(`stream ${stream.name} ready (subjects ${stream.subjectPrefix}.>) on ${servers.join(',')}`);
    const js = jetstream(this.nats, { timeout: this.settings.publishTimeoutMs });
    while (!this.stopping) {
      try {
        await this.lead(js);
      } catch (error) {
        if (this.stopping) break;
        this.log(`lost the database session (${(error as Error).message}); retrying`);
        await this.pause(this.settings.retryDelayMs, false);
      }
    }
  }

  /** Waits to be the leader, then publishes until stopped or the session fails. */
  private async lead(js: JetStreamClient): Promise<void> {
    const target = this.settings.database;
    const session = plainClient({ ...toPgConfig(target), options: `-c search_path=${target.schema}` });
    this.session = session;
    try {
      await session.connect();
      await session.query('select pg_advisory_lock(hashtextextended($1, 0))', [leaderLockKey(target.schema)]);
      if (this.stopping) return;
      this.leading = true;
      this.log('leading: publishing the outbox');
      session.on('notification', () => this.poke());
      await session.query(`listen ${OUTBOX_CHANNEL}`);
      while (!this.stopping) {
        this.poked = false;
        const outcome = await this.drain(session, js);
        // after a failure, wait out the delay whatever is committed meanwhile
        if (outcome === 'failed') await this.pause(this.settings.retryDelayMs, false);
        else if (outcome === 'empty') await this.pause(this.settings.pollIntervalMs);
      }
    } finally {
      this.leading = false;
      this.session = null;
      // ends the session, which releases the leader's lock for a standby
      await session.end().catch(() => {});
    }
  }

  /** One round: the oldest events, published per key in order, the acknowledged ones removed. */
  private async drain(session: pg.Client, js: JetStreamClient): Promise<'empty' | 'moved' | 'failed'> {
    // the keys of the oldest waiting events (an index seek on occurred_at, however large the
    // backlog), the key with the oldest first; of each, its waiting events in position order up to
    // the highest position among those oldest (positions are per key, and a key's event can carry an
    // earlier time than one positioned before it): every key gets a prefix of its events, so none is
    // published before an earlier one of its key. The inner limit keeps the planner from turning the
    // per-key range reads into a scan of the whole outbox.
    const { rows } = await session.query<OutboxRow>(
      `with oldest as (select ordering_key, position, occurred_at from outbox_event order by occurred_at limit $1),
            due as (select ordering_key, max(position) as upto, min(occurred_at) as since from oldest group by ordering_key)
       select e.id, e.ordering_key, e.kind, e.scope, e.tenant_id, e.domain_id, e.mailbox_id, e.modseq, e.data, e.occurred_at
         from due cross join lateral (
           select * from outbox_event e where e.ordering_key = due.ordering_key and e.position <= due.upto
            order by e.position limit $1) e
        order by due.since, e.ordering_key, e.position limit $1`,
      [this.settings.batchSize],
    );
    if (rows.length === 0) return 'empty';
    const byKey = new Map<string, OutboxRow[]>();
    for (const row of rows) byKey.set(row.ordering_key, [...(byKey.get(row.ordering_key) ?? []), row]);
    const acknowledged: OutboxRow[] = [];
    let failure: unknown = null;
    const { name, subjectPrefix } = this.settings.stream;
    await Promise.all(
      [...byKey.values()].map(async (events) => {
        for (const event of events) {
          try {
            await js.publish(subjectOf(subjectPrefix, event), JSON.stringify(messageOf(event)), {
              msgID: event.id,
              expect: { streamName: name },
            });
          } catch (error) {
            failure = error;
            return; // the rest of this key waits for the next round, in order
          }
          acknowledged.push(event);
        }
      }),
    );
    if (acknowledged.length > 0) {
      await session.query(
        'delete from outbox_event where (ordering_key, id) in (select * from unnest($1::uuid[], $2::uuid[]))',
        [acknowledged.map((e) => e.ordering_key), acknowledged.map((e) => e.id)],
      );
      this.published += acknowledged.length;
    }
    if (failure) {
      this.log(`publishing failed (${(failure as Error).message}); ${rows.length - acknowledged.length} events wait`);
      return 'failed';
    }
    return 'moved';
  }

  /** Sleeps `ms`, or until `stop` — or a NOTIFY, when `byNotify` (also one that came during the round). */
  private pause(ms: number, byNotify = true): Promise<void> {
    if (this.stopping || (byNotify && this.poked)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = (fromStop) => {
        if (fromStop || byNotify) done();
      };
    });
  }

  private poke(fromStop = false): void {
    if (!fromStop) this.poked = true;
    this.wake?.(fromStop);
  }
}
