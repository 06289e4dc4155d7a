/** Prisma's CLI configuration for the benchmark's Prisma side: only `prisma generate` is run (bench/prisma/generate.ts). */
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: './schema.prisma',
});
