/** `npm start` twice at the same moment on a fresh database: both succeed, the world is seeded once. */
import { describe, expect, it, vi } from 'vitest';
import { runScript } from '../support/cli.js';
import { useEmptyDatabase } from '../support/empty-database.js';

// whole commands in child processes, on a machine shared with other work
vi.setConfig({ testTimeout: 240_000 });

const db = useEmptyDatabase();

describe('two npm start at once on a fresh database', () => {
  it('both finish without an error and the development world is seeded once', async () => {
    const env = { DATABASE_URL: db.url };
    const [a, b] = await Promise.all([
      runScript('src/cli/start.ts', [], { env }),
      runScript('src/cli/start.ts', [], { env }),
    ]);
    for (const run of [a, b]) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const seededBy = [a, b].filter((r) => r.stdout.includes('seeded the development world'));
    expect(seededBy).toHaveLength(1);
    expect(await db.sql(`select email from "user" order by email`)).toEqual([
      { email: 'ada@example.com' },
      { email: 'grace@example.com' },
      { email: 'linus@example.com' },
    ]);
  });
});
