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
import { type BoundParam, StandIns } from '../stand-ins.js';

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
  params: BoundParam<string>[];
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
    const values = compiled.params.map((p) => ('origin' in p ? args[p.origin] : p.fixed));
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
  const standIns = new StandIns<string>();
  const qb = build(em, {
    text: (name) => standIns.for('', name),
    number: (name) => standIns.for(0, name),
    date: (name) => standIns.for(new Date(0), name),
  });
  const { params, lost } = standIns.bind({ sql: qb.getQuery(), params: qb.getParams() });
  if (lost.length > 0) throw new Error(`the compiled query lost the value "${lost[0]}" (the builder changed it)`);
  return { sql: qb.getQuery(), params };
}
