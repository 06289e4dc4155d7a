import type { TriggerDef } from '@mikro-orm/core';

/**
 * A row check run by a trigger on insert, and on update only when one of the named columns
 * changes (so flag updates and the like pay nothing). `query` is a boolean SQL query run with
 * `new.<column>` values as $1, $2, …; `%I` in it stands for the trigger table's own schema, so the
 * check works whatever `?schema=` the database uses. When it is not true, the row is refused with a
 * check violation named after the check.
 */
export function rowCheckTrigger(check: {
  name: string;
  columns: string[];
  query: string;
  params: string[];
  message: string;
}): TriggerDef {
  const unchanged = check.columns.map((c) => `new.${c} is not distinct from old.${c}`).join(' and ');
  const using = check.params.map((c) => `new.${c}`).join(', ');
  return {
    name: check.name,
    timing: 'before',
    events: ['insert', 'update'],
    body: `declare ok boolean;
begin
  if tg_op = 'UPDATE' and ${unchanged} then
    return new;
  end if;
  execute format('${check.query.replaceAll("'", "''")}', tg_table_schema) into ok using ${using};
  if ok is not true then
    raise exception '${check.message}' using errcode = '23514', constraint = '${check.name}';
  end if;
  return new;
end;`,
  };
}

/**
 * The folder counters (message_count, unseen_count, size_bytes): raised and lowered by whoever
 * writes email rows (delivery, flag changes, moves, copies, expunges, bulk deletes, plain SQL), in
 * the statement that writes them, under the folder rows' locks. Statement-level, from the
 * statement's transition tables: one update per folder and statement, so a 50,000-message import
 * does not update its folder 50,000 times (which PostgreSQL makes quadratic: each update of a row
 * already updated in the same transaction walks the chain of its earlier versions). Every writer
 * of a mailbox's email holds the mailbox's row lock first (application/locking.ts), so taking
 * folder rows here, after the email rows, cannot deadlock with another writer of that mailbox.
 *
 * Raw DDL (MikroORM's trigger bodies have no REFERENCING clause): the function is named as
 * MikroORM names a trigger's function, so its drop removes both.
 */
export function folderCountsTriggers(): TriggerDef[] {
  const event = (name: string, on: 'insert' | 'update' | 'delete', referencing: string, deltas: string): TriggerDef => {
    const fn = `email_${name}_fn`;
    const update = `update %I.folder f set message_count = f.message_count + d.n, unseen_count = f.unseen_count + d.unseen, size_bytes = f.size_bytes + d.size from (select folder_id, sum(n) as n, sum(unseen) as unseen, sum(size) as size from (${deltas}) x group by folder_id) d where f.id = d.folder_id and (d.n <> 0 or d.unseen <> 0 or d.size <> 0)`;
    return {
      name,
      timing: 'after',
      events: [on],
      forEach: 'statement',
      expression: `create or replace function "${fn}"() returns trigger as $$ begin execute format('${update}', tg_table_schema); return null; end; $$ language plpgsql; create trigger "${name}" after ${on} on "email" referencing ${referencing} for each statement execute function "${fn}"();`,
    };
  };
  const rows = (table: string, sign: '' | '-') =>
    `select folder_id, ${sign}1 as n, ${sign}(not seen)::int as unseen, ${sign}size_bytes::bigint as size from ${table}`;
  return [
    event('email_folder_counts_added', 'insert', 'new table as added', rows('added', '')),
    event(
      'email_folder_counts_changed',
      'update',
      'old table as old_rows new table as new_rows',
      `${rows('old_rows', '-')} union all ${rows('new_rows', '')}`,
    ),
    event('email_folder_counts_removed', 'delete', 'old table as removed', rows('removed', '-')),
  ];
}
