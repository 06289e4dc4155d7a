/**
 * Child process of the benchmark: the volume import through the volume seeder, alone in its
 * process so its peak RSS is its own. Reads BENCH_SETTINGS and BENCH_VOLUME (JSON), prints one
 * JSON line: the seeder's result and the process's peak RSS.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import type { DatabaseSettings } from '../src/infrastructure/database/database-settings.js';
import { createOrmConfig } from '../src/infrastructure/database/orm-config.js';
import { seedVolume, type VolumeOptions } from '../src/seeders/VolumeSeeder.js';

const settings = JSON.parse(process.env.BENCH_SETTINGS!) as DatabaseSettings;
const options = JSON.parse(process.env.BENCH_VOLUME!) as VolumeOptions;
const orm = await MikroORM.init(createOrmConfig(settings, 'schema'));
try {
  const result = await seedVolume(orm.em, options);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // KiB on Linux
  process.stdout.write(`${JSON.stringify({ ...result, maxRssMiB })}\n`);
} finally {
  await orm.close(true);
}
