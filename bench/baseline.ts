/**
 * The hand-written baseline: plain `pg`, parameterized (unprepared) queries, the same reads, checks
 * and writes as the application, multi-row INSERT for batches, FOR UPDATE where the application
 * locks, and the same indexes (it runs on the same migrated schema).
 */
import type pg from 'pg';
import { v7 } from 'uuid';
import { composeMessage, type Message, type MessageInput } from '../src/domain/message.js';
import { storedThreadKeys, threadKeysOf } from '../src/domain/thread.js';
import { EVENT_KINDS } from '../src/application/events/event-catalogue.js';
import { OUTBOX_CHANNEL } from '../src/application/events/outbox.js';
import { quotaThresholdsCrossed } from '../src/application/events/quota-thresholds.js';
import { copyArray, copyIn, copyText } from './copy.js';

const EMAIL_COLUMNS = [
  'mailbox_id',
  'id',
  'folder_id',
  'user_id',
  'content_hash',
  'uid',
  'modseq',
  'message_id',
  'subject',
  'from_address',
  'to_addresses',
  'cc_addresses',
  'body',
  'size_bytes',
  'seen',
  'flagged',
  'answered',
  'draft',
  'received_at',
  'created_at',
] as const;
const INSERT_EMAIL = `insert into email (${EMAIL_COLUMNS.join(', ')}) values `;
/** The same with the thread the email was placed in and its keys (single delivery threads; bulk does not yet). */
const THREADED_COLUMNS = [...EMAIL_COLUMNS, 'thread_id', 'thread_keys'] as const;
const INSERT_THREADED_EMAIL = `insert into email (${THREADED_COLUMNS.join(', ')}) values `;
/** Rows per INSERT statement (20 parameters each, far below PostgreSQL's 65,535). */
export const INSERT_CHUNK = 1_000;

export interface EmailRow {
  mailboxId: string;
  id: string;
  folderId: string;
  userId: string;
  /** The parsed raw message (its content hash is the stored message's key). */
  message: Message;
  uid: number;
  modseq: number;
  sizeBytes: number;
  seen: boolean;
  receivedAt: Date;
  /** The thread the email was placed in (`placeInThread`) and the keys later mail finds it by. */
  thread?: { id: string; keys: string[] };
}

/** One multi-row INSERT per chunk of rows. */
export async function insertEmails(client: pg.PoolClient, rows: EmailRow[], chunk = INSERT_CHUNK): Promise<void> {
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk);
    const threaded = part[0]?.thread !== undefined;
    const columns = threaded ? THREADED_COLUMNS.length : EMAIL_COLUMNS.length;
    const values: unknown[] = [];
    const tuples = part.map((r, i) => {
      const m = r.message;
      values.push(
        r.mailboxId,
        r.id,
        r.folderId,
        r.userId,
        m.contentHash,
        r.uid,
        r.modseq,
        m.messageId,
        m.subject,
        m.from,
        m.to,
        m.cc ?? [],
        m.body,
        r.sizeBytes,
        r.seen,
        false,
        false,
        false,
        r.receivedAt,
        r.receivedAt,
      );
      if (threaded) values.push(r.thread!.id, r.thread!.keys);
      const b = i * columns;
      return `(${Array.from({ length: columns }, (_, c) => `$${b + c + 1}`).join(', ')})`;
    });
    const result = await client.query((threaded ? INSERT_THREADED_EMAIL : INSERT_EMAIL) + tuples.join(', '), values);
    if (result.rowCount !== part.length) throw new Error(`inserted ${result.rowCount} of ${part.length} rows`);
  }
}

/** The same rows by COPY … FROM STDIN (text format): the floor for bulk writes. */
export async function copyEmails(client: pg.PoolClient, rows: EmailRow[]): Promise<void> {
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  for (const r of rows) {
    const m = r.message;
    const at = r.receivedAt.toISOString();
    lines.push(
      [
        r.mailboxId,
        r.id,
        r.folderId,
        r.userId,
        m.contentHash,
        String(r.uid),
        String(r.modseq),
        copyText(m.messageId),
        copyText(m.subject),
        copyText(m.from),
        copyArray(m.to),
        copyArray(m.cc ?? []),
        copyText(m.body),
        String(r.sizeBytes),
        r.seen ? 't' : 'f',
        'f',
        'f',
        'f',
        at,
        at,
      ].join('\t'),
    );
    if (lines.length === 500) {
      chunks.push(Buffer.from(`${lines.join('\n')}\n`));
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(Buffer.from(`${lines.join('\n')}\n`));
  const n = await copyIn(client, `copy email (${EMAIL_COLUMNS.join(', ')}) from stdin`, chunks);
  if (n !== rows.length) throw new Error(`copied ${n} of ${rows.length} rows`);
}

/**
 * The stored messages, once per mailbox and hash (the first copy kept, the row locked as the
 * application's upsert does), in one multi-row statement per 1,000 rows as the application's.
 */
export async function upsertMessages(
  client: pg.PoolClient,
  rows: { mailboxId: string; ownerId: string; message: Message }[],
): Promise<void> {
  const unique = [...new Map(rows.map((r) => [`${r.mailboxId} ${r.message.contentHash}`, r])).values()];
  for (let start = 0; start < unique.length; start += 1_000) {
    const part = unique.slice(start, start + 1_000);
    const values: unknown[] = [];
    const tuples = part.map(({ mailboxId, ownerId, message: m }, i) => {
      values.push(
        mailboxId,
        ownerId,
        m.contentHash,
        m.raw,
        m.sizeBytes,
        JSON.stringify(m.envelope),
        JSON.stringify(m.structure),
        JSON.stringify(m.attachments),
        m.html,
      );
      return `(${Array.from({ length: 9 }, (_, c) => `$${i * 9 + c + 1}`).join(', ')}, now())`;
    });
    await client.query(
      `insert into message (mailbox_id, owner_id, content_hash, raw, size_bytes, envelope, structure, attachments, html, created_at)
       values ${tuples.join(', ')}
       on conflict (mailbox_id, content_hash) do update set content_hash = excluded.content_hash`,
      values,
    );
  }
}

/**
 * The mailbox's modseq (one per transaction) and a UID of the folder for each arriving email, under
 * their row locks; the folder's counts (messages, unseen, octets) rise in the UID statement, as the
 * application's `allocateUids` raises them.
 */
export async function takeCounters(
  client: pg.PoolClient,
  mailboxId: string,
  folderId: string,
  arriving: { seen: boolean; sizeBytes: number }[],
): Promise<{ modseq: number; firstUid: number }> {
  const count = arriving.length;
  const unseen = arriving.filter((e) => !e.seen).length;
  const bytes = arriving.reduce((n, e) => n + e.sizeBytes, 0);
  const state = await client.query<{ highest_modseq: string }>(
    `insert into mailbox_state (mailbox_id, owner_id, highest_modseq, journal_floor)
     values ($1, (select owner_id from address where id = $1), (select coalesce(max(e.modseq), 0) + 1 from email e where e.mailbox_id = $1), 0)
     on conflict (mailbox_id) do update set highest_modseq = mailbox_state.highest_modseq + 1
     returning highest_modseq`,
    [mailboxId],
  );
  const folder = await client.query<{ uid_next: string }>(
    `update folder set uid_next = uid_next + $1, message_count = message_count + $1, unseen_count = unseen_count + $2,
       size_bytes = size_bytes + $3 where mailbox_id = $4 and id = $5 returning uid_next`,
    [count, unseen, bytes, mailboxId, folderId],
  );
  return { modseq: Number(state.rows[0]!.highest_modseq), firstUid: Number(folder.rows[0]!.uid_next) - count };
}

/** One journal row per added email. */
export async function journalAdded(client: pg.PoolClient, rows: EmailRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const part = rows.slice(start, start + INSERT_CHUNK);
    const values: unknown[] = [];
    const tuples = part.map((r, i) => {
      values.push(r.mailboxId, v7(), r.modseq, r.folderId, r.uid, r.id, r.userId);
      const b = i * 7;
      return `($${b + 1}, $${b + 7}, $${b + 2}, $${b + 3}, 'added', $${b + 4}, $${b + 5}, $${b + 6}, now())`;
    });
    await client.query(
      `insert into mail_change (mailbox_id, owner_id, id, modseq, kind, folder_id, uid, email_id, created_at) values ${tuples.join(', ')}`,
      values,
    );
  }
}

/**
 * The thread a delivered message joins, as the application places it (src/application/threading.ts):
 * the threads of this mailbox's emails that hold one of its reference keys (its own Message-ID,
 * In-Reply-To, References), else for a reply the thread of the latest email with its subject key,
 * else a new thread. The same lookup statements as the application's (one GIN probe per key).
 */
export async function placeInThread(
  client: pg.PoolClient,
  mailboxId: string,
  message: Message,
): Promise<{ id: string; keys: string[] }> {
  const keys = threadKeysOf({
    messageId: message.messageId,
    subject: message.subject,
    inReplyTo: message.envelope.inReplyTo,
    references: message.envelope.references,
  });
  const found = new Set<string>();
  if (keys.references.length > 0) {
    const { rows } = await client.query<{ thread_id: string }>(
      `select distinct k.key, e.thread_id from unnest($2::text[]) k(key)
         join email e on e.mailbox_id = $1 and e.thread_keys @> array[k.key]`,
      [mailboxId, keys.references],
    );
    for (const r of rows) found.add(r.thread_id);
  }
  if (found.size === 0 && keys.reply && keys.subject) {
    const { rows } = await client.query<{ thread_id: string }>(
      `select e.thread_id from email e where e.mailbox_id = $1 and e.thread_keys @> array[$2]::text[]
       order by e.received_at desc, e.id desc limit 1`,
      [mailboxId, keys.subject],
    );
    for (const r of rows) found.add(r.thread_id);
  }
  // several threads linked by one message merge (the application rewrites and journals the saved emails)
  if (found.size > 1) throw new Error('thread merges are not exercised by the baseline');
  return { id: [...found][0] ?? v7(), keys: storedThreadKeys(keys) };
}

/**
 * The threads of a batch for one mailbox, as the application places a batch: the stored threads of
 * its reference keys and of its reply subjects in one statement each (the mailbox's keys read once
 * and joined by hash, as the application does above 64 keys), and messages of the batch that share
 * a key share a thread.
 */
export async function placeBatchInThreads(
  client: pg.PoolClient,
  mailboxId: string,
  messages: Message[],
): Promise<{ id: string; keys: string[] }[]> {
  const keys = messages.map((m) =>
    threadKeysOf({
      messageId: m.messageId,
      subject: m.subject,
      inReplyTo: m.envelope.inReplyTo,
      references: m.envelope.references,
    }),
  );
  const lookup = async (list: string[], latest: boolean) => {
    const found = new Map<string, string>();
    if (list.length === 0) return found;
    const { rows } = await client.query<{ key: string; thread_id: string }>(
      `select ${latest ? 'distinct on (k.key)' : 'distinct'} k.key, e.thread_id
         from email e cross join lateral unnest(e.thread_keys) ek(key)
         join unnest($2::text[]) k(key) on k.key = ek.key
        where e.mailbox_id = $1 ${latest ? 'order by k.key, e.received_at desc, e.id desc' : ''}`,
      [mailboxId, list],
    );
    for (const r of rows) {
      if (found.has(r.key) && found.get(r.key) !== r.thread_id)
        throw new Error('thread merges are not exercised by the baseline');
      found.set(r.key, r.thread_id);
    }
    return found;
  };
  const byReference = await lookup([...new Set(keys.flatMap((k) => k.references))], false);
  const bySubject = await lookup([...new Set(keys.filter((k) => k.reply && k.subject).map((k) => k.subject!))], true);
  const placed = new Map<string, string>();
  return keys.map((k) => {
    const found = new Set<string>();
    for (const key of k.references) {
      const thread = placed.get(key) ?? byReference.get(key);
      if (thread) found.add(thread);
    }
    if (found.size === 0 && k.reply && k.subject) {
      const thread = placed.get(k.subject) ?? bySubject.get(k.subject);
      if (thread) found.add(thread);
    }
    if (found.size > 1) throw new Error('thread merges are not exercised by the baseline');
    const id = [...found][0] ?? v7();
    for (const key of k.references) placed.set(key, id);
    if (k.subject) placed.set(k.subject, id);
    return { id, keys: storedThreadKeys(k) };
  });
}

/** A mailbox's outbox events of one unit of work, as the application records them. */
export interface MailboxEvents {
  mailboxId: string;
  tenantId: string;
  domainId: string;
  modseq: number;
  events: { kind: keyof typeof EVENT_KINDS; data: Record<string, unknown> }[];
}

/** `email.delivered` and any `mailbox.quota_reached` the delivery's bytes crossed (as `recordQuotaThresholds`). */
export function deliveryEvents(
  mailbox: { id: string; address: string; quotaBytes: number; usedBytesBefore: number },
  delivered: { emailId: string; folderId: string; uid: number },
  sizeBytes: number,
): MailboxEvents['events'] {
  const usedBytes = mailbox.usedBytesBefore + sizeBytes;
  return [
    { kind: 'email.delivered', data: { address: mailbox.address, ...delivered } },
    ...quotaThresholdsCrossed(mailbox.usedBytesBefore, usedBytes, mailbox.quotaBytes).map((percent) => ({
      kind: 'mailbox.quota_reached' as const,
      data: { address: mailbox.address, percent, usedBytes, quotaBytes: mailbox.quotaBytes },
    })),
  ];
}

/**
 * The used bytes raised and the outbox written in one statement: the mailbox key's counter raised by
 * its number of events (its row locked to commit, as the application's), the events at the positions
 * it handed out, and the relay's NOTIFY (delivered by PostgreSQL at commit).
 */
export async function raiseUsedBytesWithEvents(
  client: pg.PoolClient,
  bytes: number,
  { mailboxId, tenantId, domainId, modseq, events }: MailboxEvents,
): Promise<void> {
  const { rows } = await client.query<{ used: number; written: number }>(
    `with used as (update mailbox_usage set used_bytes = used_bytes + $1, version = version + 1 where mailbox_id = $2 returning 1),
     k as (insert into outbox_key as k (ordering_key, tenant_id, last_position) values ($2, $3, $4)
           on conflict (ordering_key) do update set last_position = k.last_position + excluded.last_position
           returning last_position),
     e as (insert into outbox_event (ordering_key, id, position, kind, scope, tenant_id, domain_id, mailbox_id, modseq, data, occurred_at)
           select $2, x.id, k.last_position - $4 + x.n, x.kind, 'mailbox', $3, $5, $2, $6, x.data, now()
           from k, unnest($7::uuid[], $8::text[], $9::jsonb[]) with ordinality as x(id, kind, data, n) returning 1)
     select (select count(*)::int from used) as used, (select count(*)::int from e) as written, pg_notify($10, '')`,
    [
      bytes,
      mailboxId,
      tenantId,
      events.length,
      domainId,
      modseq,
      events.map(() => v7()),
      events.map((e) => e.kind),
      events.map((e) => JSON.stringify(e.data)),
      OUTBOX_CHANNEL,
    ],
  );
  if (rows[0]?.used !== 1 || rows[0].written !== events.length) throw new Error('used bytes or events not written');
}

interface LockedMailbox {
  id: string;
  address: string;
  domain_id: string;
  quota_bytes: string;
  used_bytes: string;
  status: string;
  domain_verified: boolean;
  domain_status: string;
  owner_id: string;
  inbox_id: string;
}

/** The mailbox's usage row locked (FOR UPDATE of it only, as the application's), with its domain's state and its INBOX. */
const LOCK_MAILBOX = `select a.id, a.address, a.domain_id, u.quota_bytes, u.used_bytes, a.status, d.verified as domain_verified,
  d.status as domain_status, d.owner_id, f.id as inbox_id
  from address a join mailbox_usage u on u.mailbox_id = a.id join domain d on d.id = a.domain_id
  join folder f on f.mailbox_id = a.id and f.role = 'inbox'
  where a.%WHERE% and a.kind = 'mailbox' for update of u`;

/**
 * The owner's row first (KEY SHARE), as the application takes it: the lock order that keeps a
 * delivery from deadlocking with the deletion of its owner (src/application/locking.ts).
 */
const LOCK_OWNER = `select u.id from "user" u join domain d on d.owner_id = u.id join address a on a.domain_id = d.id
  where a.%WHERE% for key share of u`;

function checkReceives(m: LockedMailbox | undefined, bytesNeeded: number[]): void {
  if (!m) throw new Error('no such mailbox');
  if (!m.domain_verified || m.domain_status !== 'active') throw new Error('domain does not receive mail');
  if (m.status !== 'active') throw new Error('mailbox suspended');
  const quota = Number(m.quota_bytes);
  let used = Number(m.used_bytes);
  for (const n of bytesNeeded) {
    if (quota > 0 && used + n > quota) throw new Error('quota exceeded');
    used += n;
  }
}

async function inTransaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Bulk delivery: lock the owner and the mailbox, check, insert every message (multi-row INSERT or COPY), raise used_bytes. */
export async function deliverMany(
  pool: pg.Pool,
  address: string,
  messages: MessageInput[],
  mode: 'insert' | 'copy' = 'insert',
): Promise<{ mailboxId: string; emailIds: string[] }> {
  // composed and parsed as the application does (the same library work on both sides)
  const parsed: Message[] = [];
  for (const input of messages) parsed.push(await composeMessage(input));
  return inTransaction(pool, async (client) => {
    await client.query(LOCK_OWNER.replace('%WHERE%', 'address = $1'), [address]);
    const { rows } = await client.query<LockedMailbox>(LOCK_MAILBOX.replace('%WHERE%', 'address = $1'), [address]);
    const m = rows[0];
    const sizes = parsed.map((p) => p.sizeBytes);
    checkReceives(m, sizes);
    const now = new Date();
    const { modseq, firstUid } = await takeCounters(
      client,
      m!.id,
      m!.inbox_id,
      sizes.map((sizeBytes) => ({ seen: false, sizeBytes })),
    );
    await upsertMessages(
      client,
      parsed.map((message) => ({ mailboxId: m!.id, ownerId: m!.owner_id, message })),
    );
    // threaded as the application threads a batch (COPY, the floor, writes the rows alone)
    const threads = mode === 'insert' ? await placeBatchInThreads(client, m!.id, parsed) : [];
    const emailRows: EmailRow[] = parsed.map((message, i) => ({
      mailboxId: m!.id,
      id: v7(),
      folderId: m!.inbox_id,
      userId: m!.owner_id,
      message,
      uid: firstUid + i,
      modseq,
      sizeBytes: sizes[i]!,
      seen: false,
      receivedAt: now,
      ...(threads[i] ? { thread: threads[i] } : {}),
    }));
    if (mode === 'copy') await copyEmails(client, emailRows);
    else await insertEmails(client, emailRows);
    await journalAdded(client, emailRows);
    const total = sizes.reduce((a, b) => a + b, 0);
    // one event for the batch and any quota threshold it crossed, as the application records them
    const usedBefore = Number(m!.used_bytes);
    const quotaBytes = Number(m!.quota_bytes);
    const lastUid = firstUid + emailRows.length - 1;
    await raiseUsedBytesWithEvents(client, total, {
      mailboxId: m!.id,
      tenantId: m!.owner_id,
      domainId: m!.domain_id,
      modseq,
      events: [
        {
          kind: 'email.delivered',
          data: { address: m!.address, folderId: m!.inbox_id, count: emailRows.length, firstUid, lastUid },
        },
        ...quotaThresholdsCrossed(usedBefore, usedBefore + total, quotaBytes).map((percent) => ({
          kind: 'mailbox.quota_reached' as const,
          data: { address: m!.address, percent, usedBytes: usedBefore + total, quotaBytes },
        })),
      ],
    });
    return { mailboxId: m!.id, emailIds: emailRows.map((r) => r.id) };
  });
}

/**
 * One inbound message, one transaction: resolve the recipient (exact address or the domain's
 * catch-all, with its domain), lock its owner and then the mailbox (reading its INBOX), check,
 * insert, raise used_bytes.
 */
export async function deliverInbound(
  pool: pg.Pool,
  recipient: string,
  input: MessageInput,
): Promise<{ mailboxId: string; emailId: string }> {
  const message = await composeMessage(input);
  return inTransaction(pool, async (client) => {
    const catchAll = `@${recipient.slice(recipient.lastIndexOf('@') + 1)}`;
    const resolved = await client.query<{
      id: string;
      kind: string;
      address: string;
      domain_id: string;
      verified: boolean;
      status: string;
    }>(
      `select a.id, a.kind, a.address, a.domain_id, d.verified, d.status from address a join domain d on d.id = a.domain_id
       where a.address in ($1, $2)`,
      [recipient, catchAll],
    );
    const entry =
      resolved.rows.find((r) => r.address === recipient) ?? resolved.rows.find((r) => r.address === catchAll);
    if (!entry || entry.kind !== 'mailbox') throw new Error(`no mailbox ${recipient} (aliases are not exercised)`);
    if (!entry.verified || entry.status !== 'active') throw new Error('domain does not receive mail');
    await client.query(LOCK_OWNER.replace('%WHERE%', 'id = $1'), [entry.id]);
    const { rows } = await client.query<LockedMailbox>(LOCK_MAILBOX.replace('%WHERE%', 'id = $1'), [entry.id]);
    const size = message.sizeBytes;
    checkReceives(rows[0], [size]);
    const m = rows[0]!;
    const now = new Date();
    const id = v7();
    const { modseq, firstUid } = await takeCounters(client, m.id, m.inbox_id, [{ seen: false, sizeBytes: size }]);
    await upsertMessages(client, [{ mailboxId: m.id, ownerId: m.owner_id, message }]);
    const thread = await placeInThread(client, m.id, message);
    const row: EmailRow = {
      mailboxId: m.id,
      id,
      folderId: m.inbox_id,
      userId: m.owner_id,
      message,
      uid: firstUid,
      modseq,
      sizeBytes: size,
      seen: false,
      receivedAt: now,
      thread,
    };
    await insertEmails(client, [row]);
    await journalAdded(client, [row]);
    const events = deliveryEvents(
      {
        id: m.id,
        address: entry.address,
        quotaBytes: Number(m.quota_bytes),
        usedBytesBefore: Number(m.used_bytes),
      },
      { emailId: id, folderId: m.inbox_id, uid: firstUid },
      size,
    );
    await raiseUsedBytesWithEvents(client, size, {
      mailboxId: m.id,
      tenantId: m.owner_id,
      domainId: entry.domain_id,
      modseq,
      events,
    });
    return { mailboxId: m.id, emailId: id };
  });
}

export interface PageRow {
  id: string;
  received_at: Date;
}

/** What a folder page reads of an email: the application's page columns (no body). */
const PAGE_COLUMNS = [
  'mailbox_id',
  'id',
  'folder_id',
  'thread_id',
  'message_id',
  'subject',
  'from_address',
  'to_addresses',
  'cc_addresses',
  'size_bytes',
  'seen',
  'flagged',
  'answered',
  'draft',
  'deleted',
  'received_at',
]
  .map((c) => `e.${c}`)
  .join(', ');

/**
 * A folder page, newest first, by one keyset query: the same columns and the same checks as the
 * application's (the email is the actor's, and the actor is active).
 */
export async function listFolderPage(
  pool: pg.Pool,
  actorId: string,
  mailboxId: string,
  folderId: string,
  limit: number,
  after?: { receivedAt: Date; id: string },
): Promise<{ items: PageRow[]; next: { receivedAt: Date; id: string } | null }> {
  const params: unknown[] = [mailboxId, folderId, actorId, limit + 1];
  const keyset = after ? 'and (e.received_at, e.id) < ($5, $6)' : '';
  if (after) params.push(after.receivedAt, after.id);
  const { rows } = await pool.query<PageRow>(
    `select ${PAGE_COLUMNS}
     from email e join "user" u on u.id = e.user_id
     where e.mailbox_id = $1 and e.folder_id = $2 and u.id = $3 and u.status = 'active' ${keyset}
     order by e.received_at desc, e.id desc limit $4`,
    params,
  );
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? { receivedAt: last.received_at, id: last.id } : null };
}

export interface OwnerRow {
  id: string;
  email: string;
  domains: { id: string; name: string; mailboxes: { id: string; address: string }[] }[];
}

/** Users owning a domain ending in the suffix, with all their domains and those domains' mailboxes: one query of joins. */
export async function findOwnersByDomainSuffix(pool: pg.Pool, pattern: string): Promise<OwnerRow[]> {
  const { rows } = await pool.query(
    `select u.id as u_id, u.email as u_email, u.name as u_name, u.status as u_status, u.created_at as u_created_at,
       u.updated_at as u_updated_at, u.version as u_version,
       d.id as d_id, d.name as d_name, d.owner_id as d_owner_id, d.verification_token as d_token, d.verified as d_verified,
       d.verified_at as d_verified_at, d.status as d_status, d.max_mailboxes as d_max_mailboxes, d.max_aliases as d_max_aliases,
       d.default_quota_bytes as d_default_quota, d.max_quota_bytes as d_max_quota, d.created_at as d_created_at, d.version as d_version,
       a.id as a_id, a.address as a_address, a.domain_id as a_domain_id, mu.quota_bytes as a_quota, mu.used_bytes as a_used,
       a.status as a_status, a.created_at as a_created_at, a.version as a_version
     from "user" u
     join domain d on d.owner_id = u.id
     left join address a on a.domain_id = d.id and a.kind = 'mailbox'
     left join mailbox_usage mu on mu.mailbox_id = a.id
     where u.id in (select owner_id from domain where name like $1)
     order by u.email, d.id, a.id`,
    [pattern],
  );
  const users: OwnerRow[] = [];
  let user: OwnerRow | undefined;
  let domain: OwnerRow['domains'][number] | undefined;
  for (const r of rows) {
    if (user?.id !== r.u_id) users.push((user = { id: r.u_id, email: r.u_email, domains: [] }));
    if (domain?.id !== r.d_id) user!.domains.push((domain = { id: r.d_id, name: r.d_name, mailboxes: [] }));
    if (r.a_id) domain!.mailboxes.push({ id: r.a_id, address: r.a_address });
  }
  return users;
}

/** Email count per user over all email: one grouped query. */
export async function emailCountsPerUser(pool: pg.Pool): Promise<{ user_id: string; email: string; emails: number }[]> {
  const { rows } = await pool.query(
    // the best hand-written shape reads the same maintained folder counters as ours (less work is the
    // point of the counters): a grouped subquery over folders joined to users
    `select u.id as user_id, u.email, f.emails
       from (select owner_id, sum(message_count)::int as emails from folder group by owner_id
              having sum(message_count) > 0) f
       join "user" u on u.id = f.owner_id
      order by u.email`,
  );
  return rows;
}

/** Load a user by address, rename, save with the optimistic version check, in one transaction. */
export async function renameUser(pool: pg.Pool, email: string, name: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string; version: number }>(
      `select id, email, name, status, created_at, updated_at, version from "user" where email = $1`,
      [email],
    );
    const user = rows[0];
    if (!user) throw new Error(`no user ${email}`);
    const updated = await client.query(
      `update "user" set name = $1, updated_at = $2, version = version + 1 where id = $3 and version = $4`,
      [name, new Date(), user.id, user.version],
    );
    if (updated.rowCount !== 1) throw new Error('concurrent update');
  });
}
