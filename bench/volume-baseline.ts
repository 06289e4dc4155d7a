/**
 * The volume import's hand-written baseline: the same email rows the volume seeder writes (same
 * mailboxes, sizes, flags and times), by multi-row INSERT in transactions of 5,000 rows on two
 * connections side by side (as the seeder's two lanes), each raising the mailboxes' used bytes.
 */
import type pg from 'pg';
import { v7 } from 'uuid';
import { mailboxOfEmail, volumeMailboxAddress, type VolumeSize } from '../src/seeders/support/volume-layout.js';
import { plainMessage } from '../src/domain/message.js';
import { type EmailRow, insertEmails, upsertMessages } from './baseline.js';

const BATCH = 5_000;
const LANES = 2;

export async function importVolumeBaseline(pool: pg.Pool, size: VolumeSize, bodyBytes: number): Promise<void> {
  const mailboxes = new Map(
    (
      await pool.query<{ address: string; id: string; inbox: string; owner: string }>(
        `select a.address, a.id, f.id as inbox, d.owner_id as owner from address a
         join folder f on f.mailbox_id = a.id and f.role = 'inbox' join domain d on d.id = a.domain_id
         where a.kind = 'mailbox'`,
      )
    ).rows.map((r) => [r.address, r]),
  );
  const byNumber = Array.from({ length: size.mailboxes }, (_, k) => mailboxes.get(volumeMailboxAddress(k, size))!);
  const senders = Array.from({ length: 53 }, (_, i) => `sender${i}@example.com`);
  const subjects = Array.from({ length: 101 }, (_, i) => `Volume subject number ${i} about the quarterly numbers`);
  const bodies = Array.from({ length: 17 }, (_, i) => `${i} `.padEnd(bodyBytes, 'lorem ipsum dolor sit amet '));
  const newest = Date.now();

  const writeBatch = async (start: number, end: number) => {
    const rows: EmailRow[] = [];
    const used = new Map<string, number>();
    for (let n = start; n < end; n++) {
      const mailbox = byNumber[mailboxOfEmail(n, size)]!;
      const receivedAt = new Date(newest - (size.emails - 1 - n) * 1000);
      // built as the volume seeder builds it (plain text, no parser): the same bytes on both sides
      const message = plainMessage(
        {
          from: senders[n % senders.length]!,
          to: [mailbox.address],
          cc: [],
          subject: subjects[n % subjects.length]!,
          body: bodies[n % bodies.length]!,
          messageId: `<${n}@volume.example>`,
        },
        receivedAt,
      );
      const sizeBytes = message.sizeBytes;
      used.set(mailbox.id, (used.get(mailbox.id) ?? 0) + sizeBytes);
      rows.push({
        mailboxId: mailbox.id,
        id: v7(),
        folderId: mailbox.inbox,
        userId: mailbox.owner,
        message,
        uid: 0, // taken per mailbox below, under the folder's row lock
        modseq: 0,
        sizeBytes,
        seen: n % 3 !== 0,
        receivedAt,
      });
    }
    const client = await pool.connect();
    try {
      await client.query('begin');
      const byMailbox = Map.groupBy(rows, (r) => r.mailboxId);
      for (const [mailboxId, own] of [...byMailbox].sort(([a], [b]) => (a < b ? -1 : 1))) {
        // as the volume seeder: UIDNEXT and the folder's counts raised, modseq 1, no journal (seeded
        // mail is a mailbox's first state)
        const folder = await client.query<{ uid_next: string }>(
          `update folder set uid_next = uid_next + $1, message_count = message_count + $1,
             unseen_count = unseen_count + $2, size_bytes = size_bytes + $3
           where mailbox_id = $4 and id = $5 returning uid_next`,
          [
            own.length,
            own.filter((r) => !r.seen).length,
            own.reduce((n, r) => n + r.sizeBytes, 0),
            mailboxId,
            own[0]!.folderId,
          ],
        );
        const firstUid = Number(folder.rows[0]!.uid_next) - own.length;
        own.forEach((r, i) => Object.assign(r, { uid: firstUid + i, modseq: 1 }));
      }
      await upsertMessages(
        client,
        rows.map((r) => ({ mailboxId: r.mailboxId, ownerId: r.userId, message: r.message })),
      );
      await insertEmails(client, rows);
      await client.query(
        `update mailbox_usage a set used_bytes = a.used_bytes + v.bytes, version = a.version + 1
         from (select unnest($1::uuid[]) as id, unnest($2::bigint[]) as bytes) v where a.mailbox_id = v.id`,
        [[...used.keys()], [...used.values()]],
      );
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  // lanes split at mailbox boundaries, so no mailbox is in two transactions at once
  const starts = new Set<number>();
  for (let lane = 0; lane < LANES; lane++) {
    let s = Math.floor((lane * size.emails) / LANES);
    while (s > 0 && mailboxOfEmail(s - 1, size) === mailboxOfEmail(s, size)) s--;
    starts.add(s);
  }
  const sorted = [...starts].sort((a, b) => a - b);
  await Promise.all(
    sorted.map(async (first, i) => {
      const last = sorted[i + 1] ?? size.emails;
      for (let s = first; s < last; s += BATCH) await writeBatch(s, Math.min(s + BATCH, last));
    }),
  );
}
