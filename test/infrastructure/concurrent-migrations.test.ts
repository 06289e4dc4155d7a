import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useEmptyDatabase } from '../support/empty-database.js';

const db = useEmptyDatabase();
const run = promisify(execFile);

/** `npx mikro-orm …` as an operator would run it, against this file's database. */
function cli(...args: string[]) {
  return run('npx', ['--no-install', 'mikro-orm', ...args], {
    env: { ...process.env, DATABASE_URL: db.url, DATABASE_URL_POOLER: '', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
}

describe('two deploys running migration:up at the same moment', () => {
  it('apply each migration once: the second waits, then finds nothing pending', async () => {
    const [a, b] = await Promise.all([cli('migration:up'), cli('migration:up')]);
    expect(a.stdout + b.stdout).toMatch(/Successfully migrated up/);
    const applied = await db.sql<{ name: string; n: number }>(
      'select name, count(*)::int as n from mikro_orm_migrations group by name',
    );
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((r) => r.n === 1)).toBe(true);
    const { stdout } = await cli('migration:pending');
    expect(stdout).toMatch(/No pending migrations/);
  });
});
