/**
 * Kept SQL for the two statements a unit of work sends most: loading entities by a few column
 * values (`em.findOne(User, { email })`, `em.find(Folder, { mailbox, role })`) and the flush's
 * update of one changed entity (`update … set … where id = ? and version = ? returning version`).
 *
 * MikroORM builds both anew for every call: criteria nodes, field lists, quoting, the query
 * builder's SQL. For a load-change-save that is most of its CPU (issue #20: 0.25 ms for the load,
 * 0.45 ms for the flush, against 0.2 ms for the whole of the hand-written version). Here the SQL is
 * built once per *shape* — the entity, which columns are compared or set, the options — by
 * MikroORM's own query builder, with a stand-in for every value; later calls of the same shape bind
 * their values in the stand-ins' places and run through the same connection, transaction, logger
 * and result mapping as the query builder would. Nothing about what is sent changes: the same SQL
 * text, the same values, the same `returning`.
 *
 * Only plain shapes are kept, inside a transaction (a unit of work's): equality on scalar columns
 * with string, number, boolean or Date values; no populate, ordering, locking, filters or
 * pagination; an update of scalar columns and foreign keys, as the flush sends it (values already
 * converted). Anything else — and any shape whose SQL does not carry every stand-in as a bound
 * value — goes MikroORM's usual way, every time.
 */
import { type EntityMetadata, type EntityName, QueryFlag, ReferenceKind, Utils } from '@mikro-orm/core';
import type { AbstractSqlDriver } from '@mikro-orm/sql';
import { type BoundParam, StandIns } from '../persistence/stand-ins.js';

type Value = string | number | boolean | Date | null;

/** Where a call's value comes from: its criteria (`where`) or its changes (`data`), by property. */
interface Origin {
  from: 'where' | 'data';
  key: string;
}

interface Kept {
  sql: string;
  /** For each parameter of `sql`: where its value comes from in a call, or the value itself. */
  params: BoundParam<Origin>[];
}

/** A shape whose SQL cannot be kept: it goes the usual way. */
const UNKEPT = Symbol('unkept');

/** The options `em.find`/`em.findOne` pass that do not change the SQL of a plain load. */
const NEUTRAL_FIND_OPTIONS = new Set([
  'ctx',
  'em',
  'schema',
  'loggerContext',
  'logging',
  '_populateWhere',
  'populateWhere',
  'populateFilter',
  'populate',
  'orderBy',
  'limit',
  'flags',
]);
const NEUTRAL_UPDATE_OPTIONS = new Set(['ctx', 'schema', 'convertCustomTypes', 'loggerContext']);

/** What the cache uses of the driver (some of it protected in MikroORM's typings). */
interface Driver {
  getMetadata(): { find(entityName: EntityName): EntityMetadata | undefined };
  getSchemaName(meta: EntityMetadata, options: object): string | undefined;
  autoJoinOneToOneOwner(meta: EntityMetadata, populate: unknown[], fields?: unknown): unknown[];
  createQueryBuilderFromOptions(meta: EntityMetadata, where: object, options: object): Promise<QueryLike>;
  createQueryBuilder: AbstractSqlDriver['createQueryBuilder'];
  mapResult(row: object, meta: EntityMetadata): object | null;
  getConnection: AbstractSqlDriver['getConnection'];
  rethrow<T>(promise: Promise<T>): Promise<T>;
}
interface QueryLike {
  toQuery(): { sql: string; params: readonly unknown[] };
}
interface Options {
  ctx?: unknown;
  schema?: string;
  limit?: number;
  flags?: string[];
  populate?: unknown[];
  orderBy?: unknown;
  convertCustomTypes?: boolean;
  loggerContext?: object;
  logging?: object;
  em?: { id?: number };
  [key: string]: unknown;
}

export class StatementCache {
  readonly #kept = new Map<string, Kept | typeof UNKEPT>();
  #runs = 0;

  /** Shapes kept and refused so far, and statements run from kept SQL (diagnostics, tests). */
  get stats(): { kept: number; refused: number; runs: number } {
    const refused = [...this.#kept.values()].filter((k) => k === UNKEPT).length;
    return { kept: this.#kept.size - refused, refused, runs: this.#runs };
  }

  constructor(private readonly driver: Driver) {}

  /** `driver.find` for a plain load in a transaction, or undefined: the caller goes the usual way. */
  async find(entityName: EntityName, where: unknown, options: Options): Promise<object[] | undefined> {
    if (!options.ctx || !plainOptions(options, NEUTRAL_FIND_OPTIONS)) return undefined;
    if ((options.populate?.length ?? 0) > 0 || !isEmpty(options.orderBy)) return undefined;
    if (options.limit !== undefined && options.limit !== 1) return undefined;
    if (!(options.flags ?? []).every((f) => f === QueryFlag.DISABLE_PAGINATE)) return undefined;
    const meta = this.driver.getMetadata().find(entityName);
    if (!meta || meta.virtual || meta.inheritanceType || meta.discriminatorColumn) return undefined;
    const criteria = columnValues(meta, where, false);
    if (!criteria) return undefined;
    const schema = this.driver.getSchemaName(meta, options);
    const key = `find ${meta.className} ${schema} ${options.limit} ${options.flags?.length ?? 0} ${shapeOf(criteria)}`;
    const kept = await this.keep(key, async (standIns) => {
      // an inverse one-to-one that MikroORM joins by itself makes the load more than plain
      if (this.driver.autoJoinOneToOneOwner(meta, [], undefined).length > 0) return UNKEPT;
      return this.driver.createQueryBuilderFromOptions(meta, standInsOf(standIns, 'where', criteria), options);
    });
    if (!kept) return undefined;
    const rows = await this.run<object[]>(kept, criteria, {}, 'all', options);
    return rows.map((row) => this.driver.mapResult(row as never, meta) as object);
  }

  /** `driver.nativeUpdate` as the flush sends it, or undefined: the caller goes the usual way. */
  async nativeUpdate(entityName: EntityName, where: unknown, data: unknown, options: Options): Promise<unknown> {
    if (!options.ctx || options.convertCustomTypes !== false || !plainOptions(options, NEUTRAL_UPDATE_OPTIONS)) {
      return undefined;
    }
    const meta = this.driver.getMetadata().find(entityName);
    if (!meta || meta.inheritanceType || meta.tptParent) return undefined;
    const criteria = columnValues(meta, where, false);
    const changes = columnValues(meta, data, true);
    if (!criteria || !changes || Object.keys(changes).length === 0) return undefined;
    const schema = this.driver.getSchemaName(meta, options);
    const key = `update ${meta.className} ${schema} ${shapeOf(criteria)} set ${shapeOf(changes)}`;
    const kept = await this.keep(key, (standIns) => {
      const qb = this.driver
        .createQueryBuilder(meta.class, options.ctx as never, 'write', false, options.loggerContext as never)
        .withSchema(schema);
      // as AbstractSqlDriver.nativeUpdate: generated columns and the version come back
      const returning = meta.props
        .filter((p: EntityMetadata['props'][number]) => (p.generated && !p.primary) || p.version)
        .map((p: EntityMetadata['props'][number]) => p.name);
      qb.update(standInsOf(standIns, 'data', changes) as never)
        .where(standInsOf(standIns, 'where', criteria) as never)
        .returning(returning as never);
      return qb;
    });
    if (!kept) return undefined;
    return this.run(kept, criteria, changes, 'run', options);
  }

  private async keep(
    key: string,
    build: (standIns: StandIns<Origin>) => Promise<QueryLike | typeof UNKEPT> | QueryLike | typeof UNKEPT,
  ): Promise<Kept | undefined> {
    let kept = this.#kept.get(key);
    if (kept === undefined) {
      const standIns = new StandIns<Origin>();
      const qb = await build(standIns);
      const query = qb === UNKEPT ? undefined : qb.toQuery();
      const bound = query && standIns.bind(query);
      kept = query && bound && bound.lost.length === 0 ? { sql: query.sql, params: bound.params } : UNKEPT;
      this.#kept.set(key, kept);
    }
    return kept === UNKEPT ? undefined : kept;
  }

  private run<T>(
    kept: Kept,
    where: Record<string, Value>,
    data: Record<string, Value>,
    method: 'all' | 'run',
    options: Options,
  ): Promise<T> {
    this.#runs++;
    const values = kept.params.map((p) =>
      'fixed' in p ? p.fixed : (p.origin.from === 'where' ? where : data)[p.origin.key],
    );
    const loggerContext = { id: options.em?.id, ...(options.logging ?? options.loggerContext) };
    const connection = this.driver.getConnection('write');
    return this.driver.rethrow(
      connection.execute(kept.sql, values, method, options.ctx as never, loggerContext as never) as Promise<T>,
    );
  }
}

/** `values` with a stand-in for each string, number or Date (booleans and nulls are part of the shape). */
function standInsOf(standIns: StandIns<Origin>, from: Origin['from'], values: Record<string, Value>) {
  const out: Record<string, Value> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = typeof value === 'boolean' || value === null ? value : standIns.for(value, { from, key });
  }
  return out;
}

function plainOptions(options: Options, neutral: Set<string>): boolean {
  for (const [key, value] of Object.entries(options)) if (value !== undefined && !neutral.has(key)) return false;
  return true;
}

const isEmpty = (value: unknown) =>
  value == null ||
  (Array.isArray(value) ? value.length === 0 : Utils.isPlainObject(value) && Utils.getObjectKeysSize(value) === 0);

/**
 * `criteria` as column values by property when it is only that: plain values compared with (or
 * set on) single-column scalar properties and single-column foreign keys given as their key.
 * Undefined for anything else (operators, entities, arrays, embedded, JSON; null but in `set`).
 */
function columnValues(meta: EntityMetadata, criteria: unknown, set: boolean): Record<string, Value> | undefined {
  if (!Utils.isPlainObject(criteria)) return undefined;
  const out: Record<string, Value> = {};
  for (const [key, value] of Object.entries(criteria)) {
    const prop = meta.properties[key as never] as EntityMetadata['props'][number] | undefined;
    if (!prop || prop.fieldNames?.length !== 1 || prop.embedded || prop.formula || prop.persist === false) {
      return undefined;
    }
    const kindOk = prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE;
    if (!kindOk || prop.type === 'json' || prop.array) return undefined;
    const plain =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (value instanceof Date && !Number.isNaN(value.getTime())) ||
      (set && value === null);
    if (!plain) return undefined;
    out[key] = value as Value;
  }
  return out;
}

/** What a call's SQL depends on: the properties in order, each value's kind, booleans and nulls as they are. */
function shapeOf(values: Record<string, Value>): string {
  return Object.entries(values)
    .map(([key, v]) =>
      typeof v === 'boolean' || v === null ? `${key}=${v}` : `${key}:${v instanceof Date ? 'date' : typeof v}`,
    )
    .join(',');
}
