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
 * The folder counters (message_count, unseen_count, size_bytes): raised and lowered after every
 * email row written, in the same statement, by whoever writes it (delivery, flag changes, moves,
 * copies, expunges, bulk deletes), under the folder row's lock. An update that changes none of
 * folder, seen and size pays one comparison. Every writer of a mailbox's email holds the mailbox's
 * row lock first (application/locking.ts), so taking folder rows here, after the email row, cannot
 * deadlock with another writer of the same mailbox.
 */
export function folderCountsTrigger(): TriggerDef {
  const change = (row: 'old' | 'new', sign: '+' | '-') =>
    `execute format('update %I.folder set message_count = message_count ${sign} 1, unseen_count = unseen_count ${sign} $2, size_bytes = size_bytes ${sign} $3 where id = $1', tg_table_schema) using ${row}.folder_id, (not ${row}.seen)::int, ${row}.size_bytes;`;
  return {
    name: 'email_folder_counts',
    timing: 'after',
    events: ['insert', 'update', 'delete'],
    body: `begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.seen is not distinct from old.seen
     and new.size_bytes is not distinct from old.size_bytes then
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    ${change('old', '-')}
  end if;
  if tg_op in ('UPDATE', 'INSERT') then
    ${change('new', '+')}
  end if;
  return null;
end;`,
  };
}
