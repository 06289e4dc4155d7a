/**
 * MikroORM 7 writes every value into the SQL text (`'…'` literals, escaped in JavaScript) and
 * sends it as one simple query. For a batch of 10,000 emails that is megabytes of escaped text that
 * PostgreSQL then lexes again. This turns the same query into a parameterised one: `$1, $2, …` in
 * the text and the values bound beside it (PostgreSQL's extended protocol, unnamed statements, so
 * it is safe behind a transaction-mode pooler).
 *
 * The placeholders are read exactly as MikroORM's `Platform.formatQuery` reads them: `?` is a
 * value, `??` an identifier (still quoted into the text), `\?` a literal question mark. Values are
 * bound as `BasePostgreSqlPlatform.escape` would have written them: an array is a list (as in
 * `in (?)`), raw fragments stay SQL, plain objects are JSON.
 *
 * One difference to mind in hand-written fragments: PostgreSQL infers a parameter's type from where
 * it stands, and where nothing tells it (`select ?`, `pg_typeof(?)`) it refuses the query; cast the
 * placeholder there (`?::text`). Every query MikroORM builds compares a value with a column.
 */
import { isRaw, JsonProperty, Utils } from '@mikro-orm/core';

export interface BoundQuery {
  text: string;
  values: unknown[];
}

interface Quoting {
  quoteIdentifier(id: string): string;
  formatQuery(sql: string, params: readonly unknown[]): string;
}

export function bindParameters(sql: string, params: readonly unknown[], platform: Quoting): BoundQuery {
  const values: unknown[] = [];
  const bind = (value: unknown): string => {
    if (Array.isArray(value)) return value.map(bind).join(', ');
    if (isRaw(value)) return platform.formatQuery(value.sql, value.params);
    values.push(toParameter(value));
    return `$${values.length}`;
  };
  let text = '';
  let pos = 0;
  let next = 0;
  while (pos < sql.length) {
    const at = sql.indexOf('?', pos);
    if (at === -1) {
      text += sql.slice(pos);
      break;
    }
    if (at > 0 && sql[at - 1] === '\\') {
      text += `${sql.slice(pos, at - 1)}?`;
      pos = at + 1;
    } else if (sql[at + 1] === '?') {
      text += sql.slice(pos, at) + platform.quoteIdentifier(String(params[next++]));
      pos = at + 2;
    } else {
      text += sql.slice(pos, at) + bind(params[next++]);
      pos = at + 1;
    }
  }
  return { text, values };
}

function toParameter(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Utils.isPlainObject(value) || (value as { [JsonProperty]?: unknown } | null)?.[JsonProperty]) {
    return JSON.stringify(value);
  }
  // strings, numbers, booleans, null, Dates and Buffers: `pg` sends each in PostgreSQL's text form
  return value;
}
