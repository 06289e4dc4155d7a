/**
 * Stand-in values for SQL built once by MikroORM's query builder and run many times: the builder
 * gets a stand-in wherever a call's value goes, and its parameters then say where each call's
 * values belong. Used by the read models' compiled queries (read-models/compiled-query.ts) and by
 * the driver's kept statements (database/statement-cache.ts).
 *
 * A stand-in is a value no caller passes: a marked string, a number and an instant no column
 * holds. Other values (booleans, nulls) have none: they are the builder's own, fixed.
 */
type Distinct = string | number | Date;

/** For each parameter of the kept SQL: where a call's value comes from, or the value fixed at build time. */
export type BoundParam<Origin> = { origin: Origin } | { fixed: unknown };

export class StandIns<Origin> {
  readonly #origins = new Map<string | number, Origin>();

  /** A stand-in of the same kind as `value` (string, number or Date), standing for `origin`. */
  for<T extends Distinct>(value: T, origin: Origin): T {
    const n = this.#origins.size + 1;
    const standIn = (
      typeof value === 'string'
        ? `\u0000stand-in ${n}`
        : typeof value === 'number'
          ? -987_654_321_000 - n
          : new Date(-8_000_000_000_000_000 + n)
    ) as T;
    this.#origins.set(idOf(standIn) as string | number, origin);
    return standIn;
  }

  /**
   * The query's parameters, each a stand-in's origin or a fixed value, and the origins whose
   * stand-in did not arrive as a parameter of its own (the builder changed it, or wrote it into the
   * text): while any is lost, the SQL cannot be run with other values.
   */
  bind(query: { sql: string; params: readonly unknown[] }): { params: BoundParam<Origin>[]; lost: Origin[] } {
    const found = new Set<string | number>();
    const params = query.params.map((value): BoundParam<Origin> => {
      const id = idOf(value);
      const origin = id === undefined ? undefined : this.#origins.get(id);
      if (origin === undefined) return { fixed: value };
      found.add(id!);
      return { origin };
    });
    const lost = [...this.#origins]
      .filter(([id]) => !found.has(id) || (typeof id === 'string' && query.sql.includes(id)))
      .map(([, origin]) => origin);
    return { params, lost };
  }
}

function idOf(value: unknown): string | number | undefined {
  if (value instanceof Date) return value.getTime();
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}
