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
