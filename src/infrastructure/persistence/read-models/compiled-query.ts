/**
 * A read built once with MikroORM's query builder and then run many times with new values.
 *
 * Building a query from criteria is most of MikroORM's cost for a small, hot read: for the folder
 * page it was a third of the time of the whole call. Here the builder runs once per ORM, with a
 * stand-in for every value that changes; its SQL (table and column names from the mappings, the
 * configured schema) is kept, and each call binds its own values in the stand-ins' places. The
 * query still runs through MikroORM's connection (the query log, read replicas, the unit of work's
 * transaction), and its rows are mapped to properties as the query builder would map them.
 */
import type { EntityClass, EntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { readRows } from '../../../application/sql-table.js';

type Value = string | number | Date;

/** Stand-ins for the values of one call, by name: what the builder puts where a value goes. */
export interface Placeholders<Args extends Record<string, Value>> {
  text(name: keyof Args & string): string;
  number(name: keyof Args & string): number;
  date(name: keyof Args & string): Date;
}

/** What the builder hands back: a query builder, whatever its select and joins. */
interface Built {
  getQuery(): string;
  getParams(): readonly unknown[];
}

interface Compiled {
  sql: string;
  /** For each parameter of `sql`: the name of an argument, or a value fixed at build time. */
  params: ({ arg: string } | { fixed: unknown })[];
}

export class CompiledQuery<Entity extends object, Args extends Record<string, Value>> {
  readonly #compiled = new WeakMap<object, Compiled>();

  constructor(
    private readonly entity: EntityClass<Entity>,
    private readonly build: (em: EntityManager, args: Placeholders<Args>) => Built,
  ) {}

  /** Runs the query with `args` in `em`'s transaction, if it has one; rows keyed by property. */
  async all<Row = EntityData<Entity>>(em: EntityManager, args: Args): Promise<Row[]> {
    const compiled = this.compiled(em);
    const values = compiled.params.map((p) => ('arg' in p ? args[p.arg] : p.fixed));
    const rows = await readRows<EntityData<Entity>>(em, compiled.sql, values);
    const meta = em.getMetadata().get(this.entity);
    return rows.map((row) => em.getDriver().mapResult(row, meta) as Row);
  }

  private compiled(em: EntityManager): Compiled {
    const key = em.getMetadata(); // one per ORM: the SQL depends on its mappings and schema
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      compiled = compile(em, this.build);
      this.#compiled.set(key, compiled);
    }
    return compiled;
  }
}

function compile<Args extends Record<string, Value>>(
  em: EntityManager,
  build: (em: EntityManager, args: Placeholders<Args>) => Built,
): Compiled {
  // each stand-in is a value no caller passes: a marked string, an impossible number or instant
  const standIns = new Map<string | number, string>();
  const standIn = <T extends Value>(name: string, make: (n: number) => T): T => {
    const value = make(standIns.size + 1);
    standIns.set(value instanceof Date ? value.getTime() : value, name);
    return value;
  };
  const qb = build(em, {
    text: (name) => standIn(name, (n) => `\u0000stand-in ${n}`),
    number: (name) => standIn(name, (n) => -987_654_321_000 - n),
    date: (name) => standIn(name, (n) => new Date(-8_000_000_000_000_000 + n)),
  });
  const params = qb.getParams().map((value) => {
    const arg = standIns.get(value instanceof Date ? value.getTime() : (value as string | number));
    return arg === undefined ? { fixed: value } : { arg };
  });
  const used = new Set(params.flatMap((p) => ('arg' in p ? [p.arg] : [])));
  for (const name of standIns.values()) {
    if (!used.has(name)) throw new Error(`the compiled query lost the value "${name}" (the builder changed it)`);
  }
  return { sql: qb.getQuery(), params };
}
