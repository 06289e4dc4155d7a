/**
 * Locks, taken in one order everywhere so that no two units of work can wait on each other.
 *
 * The order (a unit of work takes only the ones it needs, always top to bottom):
 *
 *   1. the alias graph (a transaction-scoped advisory lock): every change that can close a
 *      forwarding loop — creating, changing or removing an alias, deleting a mailbox, verifying a
 *      domain (which releases the other claims of its name, with their addresses);
 *   2. the name of a domain (an advisory lock per name): adding and verifying claims of a name;
 *   3. user rows: deliveries take KEY SHARE on the owners of the mailboxes they store into (what
 *      their email rows' foreign keys would take later anyway); deleting a user deletes its row;
 *   4. domain rows: creating mailboxes and aliases and changing limits lock their domain; a
 *      deleted user's domains go by cascade;
 *   5. mailboxes, several at once in id order: their usage rows (`mailbox_usage`, the quota and
 *      bytes used), then their address rows. Deliveries lock the usage rows alone (lockMailboxes:
 *      what they write, so they take no lock in the directory, a reference table on Citus); quota
 *      changes, purges, deletions, folder creations and renames, flags and moves take the usage
 *      row first (lockUsageRows) and then the address row, never the other way round: a delivery
 *      holding the usage row reaches the address row (KEY SHARE, its email's key) after it;
 *      Every unit of work that changes a mailbox's mail (delivery, flags, moves, purges, the
 *      message store's operations) holds its address row before:
 *   5a. outbound queue rows (application/outbound-service.ts): a bounce locks its entry while
 *      holding the sender's mailbox row (5), then stores its report (5b to 8); delivered locks
 *      entries, then their stored messages (8); a claim takes due rows with `skip locked` and
 *      waits for none; sending inserts new rows, which nobody waits for;
 *   5b. the mailbox's state row (its modseq counter, application/mail-counters.ts): raised once
 *      per unit of work; journal rows reference the address row, which the unit already holds;
 *   6. folder rows (UIDNEXT and the counts of arriving email raised by one `update … returning`;
 *      the counts of departures and \Seen changes by one update per unit of work before its flush,
 *      which may come after a mid-work flush wrote email rows: safe, because every writer of a
 *      mailbox's email holds its address row (5) first), then 7. email rows, taken by the
 *      statements that write them; 8. stored message rows (content-addressed, in hash order):
 *      delivery upserts them, a purge's sweep locks them before it removes the unreferenced ones;
 *   9. the outbox's ordering keys (each key's counter row, `outbox_key`, in key order): taken by the
 *      unit of work itself after its flush, when it writes the events it recorded (application/events).
 *
 * Why this order: deleting a user is a cascade that runs down from the user row to its domains,
 * mailboxes, folders and email. A delivery used to lock its mailbox (and INBOX) first and reach
 * the owner's row only through its email's foreign key at insert time — the opposite direction —
 * so under mail traffic the two deadlocked. Taking the owner's row first puts every writer on the
 * cascade's path in the cascade's own order.
 */
import { ReferenceKind } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import { MailboxUsage } from '../domain/mailbox-usage.js';
import { User } from '../domain/user.js';
import { sqlTable } from './sql-table.js';

/** Serialises every change that can close a forwarding loop (1 in the order above), across domains. */
export async function lockAliasGraph(em: EntityManager): Promise<void> {
  await em
    .getConnection()
    .execute(`select pg_advisory_xact_lock(hashtext('aether.alias_graph'))`, [], 'run', em.getTransactionContext());
}

/**
 * Takes KEY SHARE on the users (3 in the order above): a concurrent deletion of one of them waits
 * for this unit of work, or has already happened and the row is gone. Returns the ids still there.
 */
export async function lockOwners(em: EntityManager, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const ids = [...new Set(userIds)].sort();
  // written out rather than through the query builder: building this one statement cost a delivery
  // about as much CPU as the rest of its locking (bench/profile-delivery.ts)
  const rows = await em
    .getConnection()
    .execute<{ id: string }[]>(
      `select u.id from ${sqlTable(em, User)} u where u.id in (${ids.map(() => '?').join(', ')}) order by u.id for key share`,
      ids,
      'all',
      em.getTransactionContext(),
    );
  return new Set(rows.map((r) => r.id));
}

/**
 * Takes the usage rows of mailboxes (FOR UPDATE, in id order) before their address rows, so a unit
 * of work that locks a mailbox to change its mail waits for the deliveries into it, which hold the
 * usage row and, at their email insert, take KEY SHARE on the address row: taking the address row
 * first would let the two wait on each other. Absent ids (deleted, another tenant's) lock nothing.
 */
export async function lockUsageRows(em: EntityManager, mailboxIds: string[]): Promise<void> {
  if (mailboxIds.length === 0) return;
  const ids = [...new Set(mailboxIds)].sort();
  await em
    .getConnection()
    .execute(
      `select 1 from ${sqlTable(em, MailboxUsage)} where mailbox_id in (${ids.map(() => '?').join(', ')}) order by mailbox_id for update`,
      ids,
      'all',
      em.getTransactionContext(),
    );
}

/**
 * Locks mailboxes for storing into them: their owners first, then the mailboxes' usage rows in id
 * order (5 in the order above: a delivery locks no row of the directory), read afresh (quotas are
 * checked and raised on what the lock holds), with their INBOXes. A mailbox deleted since it was
 * looked up is simply absent from the result: the caller refuses.
 */
export async function lockMailboxes(
  em: EntityManager,
  mailboxes: Mailbox[],
): Promise<Map<string, { mailbox: Mailbox; inbox: Folder }>> {
  const locked = new Map<string, { mailbox: Mailbox; inbox: Folder }>();
  if (mailboxes.length === 0) return locked;
  await lockOwners(
    em,
    mailboxes.map((m) => m.domain.owner.id),
  );
  const ids = [...new Set(mailboxes.map((m) => m.id))].sort();
  // the mailboxes' usage rows (FOR UPDATE of them alone, in id order: what the delivery writes, off
  // the directory), with their address rows and INBOXes in one round trip, each merged into the
  // identity map afresh as `find(…, { refresh: true })` would
  const rows = await em.getConnection().execute<Record<string, unknown>[]>(
    `select m.*, ${prefixedColumns(em, MailboxUsage, 'u', USAGE_PREFIX)}, ${prefixedColumns(em, Folder, 'f', INBOX_PREFIX)}
       from ${sqlTable(em, Mailbox)} m
       join ${sqlTable(em, MailboxUsage)} u on u.mailbox_id = m.id
       join ${sqlTable(em, Folder)} f on f.mailbox_id = m.id and f.role = 'inbox'
       where m.id in (${ids.map(() => '?').join(', ')}) and m.${discriminator(em)} = ?
       order by m.id for update of u`,
    [...ids, em.getMetadata().get(Mailbox).discriminatorValue],
    'all',
    em.getTransactionContext(),
  );
  for (const row of rows) {
    const mailboxRow: Record<string, unknown> = {};
    const usageRow: Record<string, unknown> = {};
    const inboxRow: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      if (column.startsWith(INBOX_PREFIX)) inboxRow[column.slice(INBOX_PREFIX.length)] = value;
      else if (column.startsWith(USAGE_PREFIX)) usageRow[column.slice(USAGE_PREFIX.length)] = value;
      else mailboxRow[column] = value;
    }
    const mailbox = em.map(Mailbox, mailboxRow);
    const usage = em.map(MailboxUsage, usageRow);
    if (mailbox.usage !== usage) throw new Error(`mailbox ${mailbox.address} was locked without its usage row`);
    const inbox = em.map(Folder, inboxRow);
    locked.set(mailbox.id, { mailbox, inbox });
  }
  return locked;
}

const INBOX_PREFIX = 'inbox__';
const USAGE_PREFIX = 'usage__';

/** An entity's columns, each as `<prefix><column>`, from its mapping (so a new column comes along). */
function prefixedColumns(
  em: EntityManager,
  entity: typeof Folder | typeof MailboxUsage,
  alias: string,
  prefix: string,
): string {
  return em
    .getMetadata()
    .get<object>(entity)
    .props.filter(
      (p) =>
        p.persist !== false &&
        !p.formula &&
        (p.kind === ReferenceKind.SCALAR ||
          p.kind === ReferenceKind.MANY_TO_ONE ||
          (p.kind === ReferenceKind.ONE_TO_ONE && p.owner)),
    )
    .flatMap((p) => p.fieldNames)
    .map((column) => `${alias}."${column}" as "${prefix}${column}"`)
    .join(', ');
}

function discriminator(em: EntityManager): string {
  return `"${em.getMetadata().get(Mailbox).root.discriminatorColumn!}"`;
}
