/**
 * Upstream: @mikro-orm/sql 7.2.1 (`AbstractSqlConnection.execute`, AbstractSqlConnection.js lines
 * 259–270) writes every value into the SQL text (`'…'` literals, escaped in JavaScript by
 * `Platform.formatQuery`) and sends it as one simple query, `CompiledQuery.raw(formatted)` with no
 * parameters. For a batch of 10,000 emails that is megabytes of escaped text that PostgreSQL then
 * lexes again.
 *
 * Workaround: `BoundParametersConnection` turns the same query into a parameterised one: `$1, $2, …`
 * in the text and the values bound beside it (PostgreSQL's extended protocol, unnamed statements,
 * so it is safe behind a transaction-mode pooler).
 *
 * Delete when: MikroORM sends values as bound parameters (by default or by an option) — the test
 * "stock MikroORM writes the values into the SQL text" then fails. Then extend `PostgreSqlConnection`
 * again in `../resilient-driver.ts`.
 * Guarded by: test/infrastructure/upstream/inlined-query-values.test.ts.
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
import { isRaw, JsonProperty, type LoggingOptions, Utils } from '@mikro-orm/core';
import { PostgreSqlConnection, type Transaction } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';

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

type ExecuteArgs = Parameters<PostgreSqlConnection['execute']>;
type AbortOptions = Parameters<Kysely<unknown>['executeQuery']>[1];

/**
 * `PostgreSqlConnection` whose `execute()` binds the values. Upstream offers no smaller hook: the
 * compiled query is built inside `execute()` itself, from the private `prepareQuery()`'s formatted
 * text. So this mirrors `AbstractSqlConnection.execute` (lines 259–270) with its two helpers,
 * `extractAbortOptions` (lines 10–20) and `getSql` (lines 317–326), and differs in one line: the
 * `CompiledQuery` carries `$n` placeholders and their values. A query without values, a query
 * builder and named parameters go to upstream unchanged.
 */
export class BoundParametersConnection extends PostgreSqlConnection {
  override async execute<T>(
    query: ExecuteArgs[0],
    params: ExecuteArgs[1] = [],
    method: ExecuteArgs[2] = 'all',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    const [sql, values] = isRaw(query) ? [query.sql, query.params] : [query, params];
    if (typeof sql !== 'string' || !Array.isArray(values) || values.length === 0) {
      return super.execute(query, params, method, ctx, loggerContext) as Promise<T>;
    }
    await this.ensureConnection();
    const original = this.config.get('onQuery')(sql, values);
    const bound = bindParameters(original, values, this.platform);
    const { signal, inflightQueryAbortStrategy, ...context } = (loggerContext ?? {}) as LoggingOptions & AbortOptions;
    const abort = signal || inflightQueryAbortStrategy ? { signal, inflightQueryAbortStrategy } : undefined;
    // the log shows the query as MikroORM would have sent it, values written in only if asked for
    // (upstream's getSql, but formatting only then: the formatted text is what we avoid building)
    const logger = this.config.getLogger();
    const withValues = logger.isEnabled('query', context) && logger.isEnabled('query-params', context);
    const logged = withValues ? this.platform.formatQuery(original, values) : original;
    return this.executeQuery(
      logged,
      async () => {
        const compiled = CompiledQuery.raw(bound.text, bound.values);
        const result = await (ctx ?? this.getClient()).executeQuery(compiled, abort);
        return this.transformRawResult(result, method);
      },
      { query: original, params: values, ...context },
    ) as Promise<T>;
  }
}
