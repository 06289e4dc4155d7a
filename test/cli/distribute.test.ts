/**
 * `npm run db:distribute`: Citus cannot be installed here, so this shows what can be shown — the
 * SQL it would run (the plan's order, with any rule the schema breaks), and a clear refusal
 * on a database without the citus extension that changes nothing.
 */
import { describe, expect, it, vi } from 'vitest';
import { runMikroOrm, runNpm } from '../support/cli.js';
import { useEmptyDatabase } from '../support/empty-database.js';
import { DISTRIBUTION_PLAN } from '../../src/infrastructure/database/distribution-plan.js';

// whole commands in child processes, on a machine shared with other work
vi.setConfig({ testTimeout: 240_000 });

const db = useEmptyDatabase();
const env = () => ({ DATABASE_URL: db.url });

describe('npm run db:distribute', () => {
  it('--dry-run prints the plan’s calls in order, after the rules the schema breaks', async () => {
    expect((await runMikroOrm(['migration:up'], { env: env() })).code).toBe(0);
    const { code, stdout, stderr } = await runNpm('db:distribute', ['--dry-run', '--shard-count', '32'], {
      env: env(),
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    const calls = lines.filter((l) => l.startsWith('select '));
    const onCitus = Object.entries(DISTRIBUTION_PLAN).filter(([, p]) => p.kind !== 'local');
    expect(calls).toHaveLength(onCitus.length);
    const firstDistributed = calls.findIndex((c) => c.includes('create_distributed_table'));
    expect(calls.slice(0, firstDistributed).every((c) => c.includes('create_reference_table'))).toBe(true);
    expect(calls.find((c) => c.includes('."folder"'))).toMatch(
      /'mailbox_id', colocate_with => 'none', shard_count => 32\);$/,
    );
    expect(calls.find((c) => c.includes('."email"'))).toMatch(/'mailbox_id', colocate_with => '"\w+"\."folder"'\);$/);
    // a table after the distributed tables its keys point at: email after folder and message
    const position = (table: string) => calls.findIndex((c) => c.includes(`."${table}"'`));
    expect(position('message')).toBeLessThan(position('email'));
    // before the calls: no rule the schema breaks (the plan test holds it to none), then the message
    // store's rebuild without its local partitions, announced and not done
    const comments = lines.slice(0, lines.length - calls.length);
    expect(comments).toEqual([
      '-- rebuilds email without its local partitions (rows, keys, indexes, triggers, policies and grants kept)',
    ]);
    expect(await db.sql(`select relkind from pg_class where oid = 'email'::regclass`)).toEqual([{ relkind: 'p' }]);
  });

  it('refuses in one line where the citus extension is absent, and changes nothing', async () => {
    const before = await db.sql(`select count(*)::int as n from pg_extension`);
    const { code, stdout, stderr } = await runNpm('db:distribute', [], { env: env() });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toMatch(/^error: the citus extension is not installed in this database: .*--dry-run/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(await db.sql(`select count(*)::int as n from pg_extension`)).toEqual(before);
    expect(await db.sql(`select relkind from pg_class where oid = 'email'::regclass`)).toEqual([{ relkind: 'p' }]);
  });

  it('refuses a wrong --shard-count before connecting', async () => {
    const { code, stderr } = await runNpm('db:distribute', ['--shard-count', '0'], { env: env() });
    expect({ code, stderr: stderr.trim() }).toEqual({
      code: 1,
      stderr: 'error: --shard-count "0" is not a whole number of shards between 1 and 64000',
    });
  });
});
