/**
 * `aether-identity-database/seeders`: the development world and the volume seeder, for consumers
 * who seed fixtures of their own (`orm.seeder.seed(DatabaseSeeder)`). Needs the optional peer
 * dependency `@faker-js/faker` (and `cli-progress` for the volume command).
 */
export { DatabaseSeeder } from './DatabaseSeeder.js';
export { VolumeSeeder, seedVolume, type VolumeOptions, type VolumeResult } from './VolumeSeeder.js';
