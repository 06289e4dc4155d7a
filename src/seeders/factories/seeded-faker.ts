import { base, en, Faker } from '@faker-js/faker';

/**
 * A faker of its own with a fixed seed, so a seeder builds the same world on every run (same
 * addresses, subjects and counts). Never the shared `faker` singleton: other code may reseed it.
 */
export function seededFaker(seed: number): Faker {
  return new Faker({ locale: [en, base], seed });
}
