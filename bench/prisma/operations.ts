/**
 * The Prisma side: the benchmark's workloads written as a competent Prisma 7 user would write them
 * on our schema (bench/prisma/schema.prisma), doing the same reads, checks, locks and writes as the
 * application and the hand-written baseline (bench/baseline.ts). Prisma's own API wherever it can
 * say the thing: its default relation loading (one query per relation), its cursor pagination,
 * `_count`, interactive transactions, the optimistic version check of its documentation
 * (`updateMany` where the version still matches), atomic `increment`s, `upsert` and `createMany`.
 * Raw SQL (`$queryRaw`) only for what Prisma cannot say: the row locks (`FOR UPDATE`, and the
 * owner's `FOR KEY SHARE`, in the application's lock order).
 */
import { v7 } from 'uuid';
import { composeMessage, type Message, type MessageInput } from '../../src/domain/message.js';
import { storedThreadKeys, threadKeysOf } from '../../src/domain/thread.js';
import { OUTBOX_CHANNEL } from '../../src/application/events/outbox.js';
import { deliveryEvents, type MailboxEvents } from '../baseline.js';
import type { Prisma, PrismaClient } from './generated/client.js';

type Tx = Prisma.TransactionClient;

/** The columns the application reads of an email: all but the body. */
const NO_BODY = { body: true } as const;

/** A folder page, newest first, through Prisma's cursor pagination (the cursor is the previous page's last email). */
export async function listFolderPage(
  prisma: PrismaClient,
  actorId: string,
  mailboxId: string,
  folderId: string,
  limit: number,
  after?: { id: string },
) {
  const rows = await prisma.email.findMany({
    // the application's checks: the actor's email, and the actor active
    where: { mailboxId, folderId, userId: actorId, user: { status: 'active' } },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    ...(after ? { cursor: { mailboxId_id: { mailboxId, id: after.id } }, skip: 1 } : {}),
    take: limit + 1,
    omit: NO_BODY,
  });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last ? { id: last.id } : null };
}

/** Users owning a domain ending in `suffix`, with all their domains and those domains' mailboxes. */
export function findOwnersByDomainSuffix(prisma: PrismaClient, suffix: string) {
  return prisma.user.findMany({
    where: { domains: { some: { name: { endsWith: suffix } } } },
    orderBy: { email: 'asc' },
    include: {
      domains: {
        orderBy: { id: 'asc' },
        include: { addresses: { where: { kind: 'mailbox' }, orderBy: { id: 'asc' } } },
      },
    },
  });
}

/** Email count per user, for the users with email: Prisma's relation `_count`. */
export function emailCountsPerUser(prisma: PrismaClient) {
  return prisma.user.findMany({
    where: { emails: { some: {} } },
    select: { id: true, email: true, _count: { select: { emails: true } } },
    orderBy: { email: 'asc' },
  });
}

/** Load a user by address, rename, save with the optimistic version check, in one transaction. */
export function renameUser(prisma: PrismaClient, email: string, name: string): Promise<void> {
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.findUniqueOrThrow({ where: { email } });
    const { count } = await tx.user.updateMany({
      where: { id: user.id, version: user.version },
      data: { name, updatedAt: new Date(), version: { increment: 1 } },
    });
    if (count !== 1) throw new Error('concurrent update');
  });
}

interface LockedMailbox {
  id: string;
  quota_bytes: bigint;
  used_bytes: bigint;
  status: string;
  domain_verified: boolean;
  domain_status: string;
  owner_id: string;
  inbox_id: string;
}

/** The owner's row first (KEY SHARE), as the application takes it, then the mailbox's usage row (FOR UPDATE), with its INBOX. */
async function lockMailbox(tx: Tx, where: { id: string } | { address: string }): Promise<LockedMailbox | undefined> {
  if ('id' in where) {
    await tx.$queryRaw`select u.id from "user" u join domain d on d.owner_id = u.id join address a on a.domain_id = d.id
      where a.id = ${where.id}::uuid for key share of u`;
    const [row] = await tx.$queryRaw<LockedMailbox[]>`select a.id, mu.quota_bytes, mu.used_bytes, a.status,
        d.verified as domain_verified, d.status as domain_status, d.owner_id, f.id as inbox_id
      from address a join mailbox_usage mu on mu.mailbox_id = a.id join domain d on d.id = a.domain_id join folder f on f.mailbox_id = a.id and f.role = 'inbox'
      where a.id = ${where.id}::uuid and a.kind = 'mailbox' for update of mu`;
    return row;
  }
  await tx.$queryRaw`select u.id from "user" u join domain d on d.owner_id = u.id join address a on a.domain_id = d.id
    where a.address = ${where.address} for key share of u`;
  const [row] = await tx.$queryRaw<LockedMailbox[]>`select a.id, mu.quota_bytes, mu.used_bytes, a.status,
      d.verified as domain_verified, d.status as domain_status, d.owner_id, f.id as inbox_id
    from address a join mailbox_usage mu on mu.mailbox_id = a.id join domain d on d.id = a.domain_id join folder f on f.mailbox_id = a.id and f.role = 'inbox'
    where a.address = ${where.address} and a.kind = 'mailbox' for update of mu`;
  return row;
}

/** The application's checks: the mailbox exists, its domain receives mail, it is active, the quota holds for each message. */
function checkReceives(m: LockedMailbox | undefined, bytesNeeded: number[]): asserts m is LockedMailbox {
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

/**
 * The mailbox's next modseq (one per transaction) and a UID of the folder for each arriving
 * message, by atomic increments; the folder's counts (messages, unseen, octets) rise in the same
 * update, as ours and the baseline raise them.
 */
async function takeCounters(
  tx: Tx,
  mailboxId: string,
  ownerId: string,
  folderId: string,
  sizes: number[],
): Promise<{ modseq: bigint; firstUid: bigint }> {
  const count = sizes.length;
  const [bumped] = await tx.mailboxState.updateManyAndReturn({
    where: { mailboxId },
    data: { highestModseq: { increment: 1 } },
    select: { highestModseq: true },
  });
  let modseq = bumped?.highestModseq;
  if (modseq === undefined) {
    // the mailbox's first change since the journal began: continue from its email's highest modseq
    const { _max } = await tx.email.aggregate({ where: { mailboxId }, _max: { modseq: true } });
    const state = await tx.mailboxState.create({
      data: { mailboxId, ownerId, highestModseq: (_max.modseq ?? 0n) + 1n, journalFloor: 0 },
      select: { highestModseq: true },
    });
    modseq = state.highestModseq;
  }
  const folder = await tx.folder.update({
    where: { mailboxId_id: { mailboxId, id: folderId } },
    data: {
      uidNext: { increment: count },
      messageCount: { increment: count },
      // delivered mail arrives unseen
      unseenCount: { increment: count },
      sizeBytes: { increment: sizes.reduce((a, b) => a + b, 0) },
    },
    select: { uidNext: true },
  });
  return { modseq, firstUid: folder.uidNext - BigInt(count) };
}

/**
 * Stores each message once in the mailbox by its hash (the first copy kept). An upsert whose update writes the
 * same hash, as the application's `on conflict do update`: it locks an existing row until commit,
 * so a concurrent sweep of the message's last copy cannot remove it (createMany's skipDuplicates,
 * `do nothing`, would not lock it).
 */
async function storeMessages(tx: Tx, mailbox: LockedMailbox, messages: Message[]): Promise<void> {
  const unique = [...new Map(messages.map((m) => [m.contentHash, m])).values()];
  for (const m of unique) {
    await tx.message.upsert({
      where: { mailboxId_contentHash: { mailboxId: mailbox.id, contentHash: m.contentHash } },
      create: {
        mailboxId: mailbox.id,
        ownerId: mailbox.owner_id,
        contentHash: m.contentHash,
        raw: m.raw as Uint8Array<ArrayBuffer>, // a Buffer is one; its type allows a shared buffer, Prisma's does not
        sizeBytes: m.sizeBytes,
        envelope: m.envelope as unknown as Prisma.InputJsonValue,
        structure: m.structure as unknown as Prisma.InputJsonValue,
        attachments: m.attachments as unknown as Prisma.InputJsonValue,
        html: m.html,
        createdAt: new Date(),
      },
      update: { contentHash: m.contentHash },
      select: { contentHash: true },
    });
  }
}

interface Delivery {
  mailbox: LockedMailbox;
  messages: Message[];
  modseq: bigint;
  firstUid: bigint;
}

function emailRows({ mailbox, messages, modseq, firstUid }: Delivery): Prisma.EmailCreateManyInput[] {
  const now = new Date();
  return messages.map((m, i) => ({
    mailboxId: mailbox.id,
    id: v7(),
    folderId: mailbox.inbox_id,
    userId: mailbox.owner_id,
    contentHash: m.contentHash,
    uid: firstUid + BigInt(i),
    modseq,
    messageId: m.messageId,
    subject: m.subject,
    fromAddress: m.from,
    toAddresses: m.to,
    ccAddresses: m.cc ?? [],
    body: m.body,
    sizeBytes: m.sizeBytes,
    seen: false,
    flagged: false,
    answered: false,
    draft: false,
    receivedAt: now,
    createdAt: now,
  }));
}

/** The journal's rows: one `added` change per email. */
function journalRows(rows: Prisma.EmailCreateManyInput[]): Prisma.MailChangeCreateManyInput[] {
  const now = new Date();
  return rows.map((r) => ({
    mailboxId: r.mailboxId,
    ownerId: r.userId,
    id: v7(),
    modseq: r.modseq,
    kind: 'added',
    folderId: r.folderId,
    uid: r.uid,
    emailId: r.id,
    createdAt: now,
  }));
}

/**
 * The thread a delivered message joins, as the application places it: the threads of the mailbox's
 * emails holding one of its reference keys (`hasSome`: the array overlap), else for a reply the
 * latest email with its subject key, else a new thread.
 */
async function placeInThread(tx: Tx, mailboxId: string, message: Message): Promise<{ id: string; keys: string[] }> {
  const keys = threadKeysOf({
    messageId: message.messageId,
    subject: message.subject,
    inReplyTo: message.envelope.inReplyTo,
    references: message.envelope.references,
  });
  const found = new Set<string>();
  if (keys.references.length > 0) {
    const rows = await tx.email.findMany({
      where: { mailboxId, threadKeys: { hasSome: keys.references } },
      select: { threadId: true },
      distinct: ['threadId'],
    });
    for (const r of rows) found.add(r.threadId);
  }
  if (found.size === 0 && keys.reply && keys.subject) {
    const latest = await tx.email.findFirst({
      where: { mailboxId, threadKeys: { has: keys.subject } },
      orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      select: { threadId: true },
    });
    if (latest) found.add(latest.threadId);
  }
  if (found.size > 1) throw new Error('thread merges are not exercised by the Prisma side');
  return { id: [...found][0] ?? v7(), keys: storedThreadKeys(keys) };
}

/** The outbox: the key's counter raised (upsert), the events at its positions, the relay's NOTIFY. */
async function writeEvents(tx: Tx, { mailboxId, tenantId, domainId, modseq, events }: MailboxEvents): Promise<void> {
  const { lastPosition } = await tx.outboxKey.upsert({
    where: { orderingKey: mailboxId },
    create: { orderingKey: mailboxId, tenantId, lastPosition: events.length },
    update: { lastPosition: { increment: events.length } },
    select: { lastPosition: true },
  });
  const first = lastPosition - BigInt(events.length) + 1n;
  const now = new Date();
  const rows = events.map((e, i) => ({
    orderingKey: mailboxId,
    id: v7(),
    position: first + BigInt(i),
    kind: e.kind,
    scope: 'mailbox',
    tenantId,
    domainId,
    mailboxId,
    modseq: BigInt(modseq),
    data: e.data as Prisma.InputJsonValue,
    occurredAt: now,
  }));
  if (rows.length === 1) await tx.outboxEvent.create({ data: rows[0]!, select: { id: true } });
  else await tx.outboxEvent.createMany({ data: rows });
  await tx.$executeRaw`select pg_notify(${OUTBOX_CHANNEL}, '')`;
}

/**
 * Counters taken, messages stored, the emails and their journal written, the used bytes raised;
 * with `delivery` (single delivery), the email threaded and its outbox events written too.
 */
async function store(
  tx: Tx,
  mailbox: LockedMailbox,
  messages: Message[],
  sizes: number[],
  delivery?: { address: string; domainId: string },
): Promise<string[]> {
  const { modseq, firstUid } = await takeCounters(tx, mailbox.id, mailbox.owner_id, mailbox.inbox_id, sizes);
  await storeMessages(tx, mailbox, messages);
  const rows = emailRows({ mailbox, messages, modseq, firstUid });
  if (delivery) {
    const thread = await placeInThread(tx, mailbox.id, messages[0]!);
    rows[0]!.threadId = thread.id;
    rows[0]!.threadKeys = thread.keys;
  }
  // one email: `create`, as a Prisma user writes a single delivery; a batch: `createMany` (multi-row INSERTs)
  if (rows.length === 1) await tx.email.create({ data: rows[0]!, select: { id: true } });
  else await tx.email.createMany({ data: rows });
  const journal = journalRows(rows);
  if (journal.length === 1) await tx.mailChange.create({ data: journal[0]!, select: { id: true } });
  else await tx.mailChange.createMany({ data: journal });
  await tx.mailboxUsage.update({
    where: { mailboxId: mailbox.id },
    data: { usedBytes: { increment: sizes.reduce((a, b) => a + b, 0) }, version: { increment: 1 } },
    select: { mailboxId: true },
  });
  if (delivery) {
    const events = deliveryEvents(
      {
        id: mailbox.id,
        address: delivery.address,
        quotaBytes: Number(mailbox.quota_bytes),
        usedBytesBefore: Number(mailbox.used_bytes),
      },
      { emailId: rows[0]!.id, folderId: mailbox.inbox_id, uid: Number(firstUid) },
      sizes[0]!,
    );
    await writeEvents(tx, {
      mailboxId: mailbox.id,
      tenantId: mailbox.owner_id,
      domainId: delivery.domainId,
      modseq: Number(modseq),
      events,
    });
  }
  return rows.map((r) => r.id);
}

/**
 * One inbound message, one transaction: resolve the recipient (exact address or the domain's
 * catch-all, with its domain), lock its owner and then the mailbox, check, store.
 */
export async function deliverInbound(
  prisma: PrismaClient,
  recipient: string,
  input: MessageInput,
): Promise<{ mailboxId: string; emailId: string }> {
  const message = await composeMessage(input);
  return prisma.$transaction(async (tx) => {
    const catchAll = `@${recipient.slice(recipient.lastIndexOf('@') + 1)}`;
    const resolved = await tx.address.findMany({
      where: { address: { in: [recipient, catchAll] } },
      select: {
        id: true,
        kind: true,
        address: true,
        domainId: true,
        domain: { select: { verified: true, status: true } },
      },
    });
    const entry = resolved.find((r) => r.address === recipient) ?? resolved.find((r) => r.address === catchAll);
    if (!entry || entry.kind !== 'mailbox') throw new Error(`no mailbox ${recipient} (aliases are not exercised)`);
    if (!entry.domain.verified || entry.domain.status !== 'active') throw new Error('domain does not receive mail');
    const mailbox = await lockMailbox(tx, { id: entry.id });
    checkReceives(mailbox, [message.sizeBytes]);
    const [emailId] = await store(tx, mailbox, [message], [message.sizeBytes], {
      address: entry.address,
      domainId: entry.domainId,
    });
    return { mailboxId: mailbox.id, emailId: emailId! };
  });
}

/** Bulk delivery: lock the owner and the mailbox, check, store every message (createMany), raise the used bytes. */
export async function deliverMany(
  prisma: PrismaClient,
  address: string,
  inputs: MessageInput[],
): Promise<{ mailboxId: string; emailIds: string[] }> {
  // composed and parsed as the application does (the same library work on every side)
  const messages: Message[] = [];
  for (const input of inputs) messages.push(await composeMessage(input));
  return prisma.$transaction(
    async (tx) => {
      const mailbox = await lockMailbox(tx, { address });
      const sizes = messages.map((m) => m.sizeBytes);
      checkReceives(mailbox, sizes);
      const emailIds = await store(tx, mailbox, messages, sizes);
      return { mailboxId: mailbox.id, emailIds };
    },
    // an interactive transaction is cut off after 5 s by default; a batch of 10,000 takes longer
    { timeout: 600_000, maxWait: 60_000 },
  );
}
