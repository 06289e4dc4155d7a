import type { EntityData } from '@mikro-orm/core';
import { Factory } from '@mikro-orm/seeder';

/**
 * A MikroORM `Factory` that builds every entity with its domain constructor or verbs.
 *
 * The stock `Factory.makeEntity` calls `em.create(model, definition())`, which passes the
 * constructor arguments matched by parameter name and then hydrates the data over the new
 * object. Our constructors take one `props` object of value objects and keep their state
 * `readonly`, so that path can neither call them correctly nor keep their invariants. Subclasses
 * implement `build` instead; `make`, `makeOne`, `create`, `createOne` and `each` work as usual.
 */
export abstract class ConstructorFactory<T extends object, Input> extends Factory<T, Input> {
  #each: ((entity: T, index: number) => void) | undefined;

  /** Builds one entity from `input` (what the caller fixes) and fake data (everything else). */
  protected abstract build(input: Input, index: number): T;

  /** Never used: `makeEntity` below builds through the domain, not through `em.create`. */
  protected override definition(): EntityData<T> {
    throw new Error(`${this.constructor.name} builds entities with their domain constructor`);
  }

  override makeEntity(input: Input, index = 0): T {
    const entity = this.build(input, index);
    this.#each?.(entity, index);
    return entity;
  }

  override each(eachFunction: (entity: T, index: number) => void): this {
    this.#each = eachFunction;
    return this;
  }
}
