/**
 * The Prisma side's client on a bench database: the generated client (bench/prisma/generate.ts
 * makes it first when needed, so it is imported only then) over `@prisma/adapter-pg`, as Prisma 7
 * runs on PostgreSQL. The adapter is handed a pg pool of the same size and search path as the
 * baseline's, which counts the statements Prisma sends (its transactions' BEGIN and COMMIT too).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import type { DatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { plainPool } from '../../src/infrastructure/database/admin-client.js';
import { countingPool } from '../harness.js';
import type { StatementCounter } from '../types.js';
import { ensurePrismaClient, prismaClientVersion } from './generate.js';
import type { PrismaClient } from './generated/client.js';

export type { PrismaClient } from './generated/client.js';

export interface PrismaDatabase {
  prisma: PrismaClient;
  /** The installed @prisma/client's version. */
  version: string;
  /** Counts the SQL statements Prisma sends while `work` runs. */
  countStatements: StatementCounter;
  close(): Promise<void>;
}

/** A Prisma client on `settings`' database (in its `?schema=`), connected. */
export async function openPrisma(settings: DatabaseSettings): Promise<PrismaDatabase> {
  await ensurePrismaClient();
  const { PrismaClient } = await import('./generated/client.js');
  const target = settings.direct;
  const { pool, count } = countingPool(plainPool(target));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: target.schema }) });
  await prisma.$connect();
  return {
    prisma,
    version: prismaClientVersion(),
    countStatements: count,
    close: async () => {
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}
