import type { TestDatabase } from './test-database.js';

/**
 * Every folder (of one mailbox, or of the whole database) whose counters differ from an aggregate
 * over its email rows: count(*), count(*) filter (where not seen), sum(size_bytes). None, always.
 */
export async function folderCountDrift(db: TestDatabase, mailboxId?: string) {
  return db.sql<{ path: string; message_count: number; rows: number }>(
    `select f.path, f.message_count::int, f.unseen_count::int, f.size_bytes::bigint::text as size_bytes,
            count(e.id)::int as rows, (count(e.id) filter (where not e.seen))::int as unseen_rows,
            coalesce(sum(e.size_bytes), 0)::bigint::text as size_rows
       from folder f left join email e on e.mailbox_id = f.mailbox_id and e.folder_id = f.id
      where $1::uuid is null or f.mailbox_id = $1::uuid
      group by f.mailbox_id, f.id
     having f.message_count <> count(e.id) or f.unseen_count <> count(e.id) filter (where not e.seen)
         or f.size_bytes <> coalesce(sum(e.size_bytes), 0)`,
    [mailboxId ?? null],
  );
}
