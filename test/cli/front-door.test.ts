/**
 * The front door: every project command reads `.env`, has a working `--help`, and ends every
 * failure a user can cause in one line (never a stack trace or a page of help).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withAdminClient } from '../../src/infrastructure/database/admin-client.js';
import { grantApplicationRole } from '../../src/infrastructure/database/application-role.js';
import { formatDatabaseUrl } from '../../src/infrastructure/database/database-url.js';
import { runMikroOrm, runNpm, runScript } from '../support/cli.js';
import { useEmptyDatabase } from '../support/empty-database.js';

// each test spawns whole commands (a Node start each) on a machine shared with other work
vi.setConfig({ testTimeout: 240_000 });

const db = useEmptyDatabase();
const oneLine = (text: string) => {
  const lines = text.trim().split('\n');
  expect(lines, text).toHaveLength(1);
  return lines[0]!;
};
const unreachable = 'postgresql://nobody:secret@127.0.0.1:1/from_env_file';
const scratch = () => mkdtempSync(join(tmpdir(), 'aether-door-'));

describe('.env', () => {
  it('is read by the project commands, and the environment wins over it', async () => {
    const dir = scratch();
    const file = join(dir, 'dev.env');
    writeFileSync(file, `DATABASE_URL=${unreachable}\n`);
    const fromFile = await runScript('src/cli/db-status.ts', [], {
      env: { AETHER_ENV_FILE: file, DATABASE_URL: undefined },
    });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^\[aether\] using DATABASE_URL from .*dev\.env: postgresql:\/\/nobody:\*\*\*\*@127\.0\.0\.1:1\//,
      ),
      'error: DATABASE_URL: cannot connect to 127.0.0.1:1 (database "from_env_file", user "nobody"): connection refused',
    ]);
    const fromEnvironment = await runScript('src/cli/db-url.ts', [], {
      env: { AETHER_ENV_FILE: file, DATABASE_URL: db.url },
    });
    expect(fromEnvironment.code).toBe(0);
    expect(fromEnvironment.stdout.trim()).toBe(formatDatabaseUrl(db.settings.direct));
    expect(oneLine(fromEnvironment.stderr)).toMatch(
      /^\[aether\] using DATABASE_URL from the environment \(read .*dev\.env\)/,
    );
  });

  it('is read from the working directory by default, and the log line names it', async () => {
    const dir = scratch();
    writeFileSync(join(dir, '.env'), `DATABASE_URL=${db.url}\n`);
    const { code, stdout, stderr } = await runScript('src/cli/db-url.ts', [], {
      cwd: dir,
      env: { DATABASE_URL: undefined, AETHER_ENV_FILE: undefined },
    });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(formatDatabaseUrl(db.settings.direct));
    expect(oneLine(stderr)).toMatch(/^\[aether\] using DATABASE_URL from \.env: postgresql:\/\//);
  });

  it('is read by the MikroORM CLI', async () => {
    const dir = scratch();
    const file = join(dir, 'dev.env');
    writeFileSync(file, `DATABASE_URL=${unreachable}\n`);
    const { code, stderr } = await runMikroOrm(['migration:pending'], {
      env: { AETHER_ENV_FILE: file, DATABASE_URL: undefined },
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toContain('cannot connect to 127.0.0.1:1 (database "from_env_file"');
    expect(stderr).not.toContain('secret');
  });
});

describe('db:status', () => {
  it('exits 1 while migrations are pending and 0 once they are applied', async () => {
    const env = { DATABASE_URL: db.url };
    const pending = await runNpm('db:status', [], { env });
    expect(pending.code).toBe(1);
    expect(pending.stdout).toMatch(/Pending \(\d+\):\n  Migration/);
    expect(oneLine(pending.stderr)).toMatch(/migration\(s\) pending/);
    expect((await runMikroOrm(['migration:up'], { env })).code).toBe(0);
    const upToDate = await runNpm('db:status', [], { env });
    expect(upToDate.code).toBe(0);
    expect(upToDate.stdout).toContain('Pending (0): none, the schema is up to date');
  });
});

describe('one line, never a stack trace or a wall of help', () => {
  const env = () => ({ DATABASE_URL: db.url });

  // a dozen processes under tsx: minutes on a loaded two-core machine, so its own time bound
  it('every project command has a working --help', { timeout: 240_000 }, async () => {
    const scripts = [
      'start',
      'db:reset',
      'db:app-role',
      'db:distribute',
      'db:status',
      'db:url',
      'db:serve',
      'studio',
      'bench',
    ];
    for (const script of [
      ...scripts,
      'db:seed:volume',
      'docs:schema',
      'db:case-fold-pattern',
      'db:mail-role',
      'mail:config',
      'relay',
      'lmtp',
    ]) {
      const { code, stdout, stderr } = await runNpm(script, ['--help'], { env: env() });
      expect({ script, code, stderr }).toEqual({ script, code: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage: /);
    }
  });

  it('an unknown option is one line', async () => {
    const { code, stderr } = await runNpm('db:reset', ['--bogus'], { env: env() });
    expect(code).toBe(2);
    expect(oneLine(stderr)).toBe("error: Unknown option '--bogus' (see --help)");
  });

  it("db:app-role --role 'bad role' is refused before anything is created", async () => {
    const { code, stderr } = await runNpm('db:app-role', ['--role', 'bad role', '--password', 'x'], { env: env() });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toMatch(/^error: --role "bad role" is not a valid role name/);
    expect(await db.sql(`select 1 from pg_roles where rolname = 'bad role'`)).toEqual([]);
  });

  it('db:app-role without --password refuses instead of creating a role without one', async () => {
    const role = 'aether_door_nopass';
    const { code, stderr } = await runNpm('db:app-role', ['--role', role], {
      env: { ...env(), AETHER_APP_ROLE_PASSWORD: undefined },
    });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toMatch(/^error: --password is required/);
    expect(await db.sql(`select 1 from pg_roles where rolname = $1`, [role])).toEqual([]);
  });

  it('seeder:run on a seeded database says why, in one line', async () => {
    expect((await runMikroOrm(['migration:up'], { env: env() })).code).toBe(0);
    expect((await runMikroOrm(['seeder:run'], { env: env() })).code).toBe(0);
    const { code, stdout, stderr } = await runMikroOrm(['seeder:run'], { env: env() });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(oneLine(stderr)).toMatch(/^error: the database already holds \d+ users; run `npm run db:reset`/);
  });

  it('migration:up as the application role names what to do, in one line', async () => {
    const role = { role: 'aether_door_app', password: 'door-app-pw' };
    await withAdminClient(db.settings.direct, (c) =>
      grantApplicationRole(c, { ...role, schema: db.settings.direct.schema, database: db.settings.direct.database }),
    );
    const url = new URL(db.url);
    url.username = role.role;
    url.password = role.password;
    // a fresh migrations table is needed for the role to try any DDL: a schema of its own
    url.searchParams.set('schema', db.settings.direct.schema);
    await db.sql(`delete from mikro_orm_migrations where name like '%tenant_policy_on_partitions'`);
    const { code, stdout, stderr } = await runMikroOrm(['migration:up'], { env: { DATABASE_URL: url.toString() } });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(oneLine(stderr)).toMatch(/^error: .*permission denied.*\(this needs the schema owner/);
  });

  it('?sslmode=require against a server without SSL', async () => {
    const url = `${db.url}${db.url.includes('?') ? '&' : '?'}sslmode=require`;
    const { code, stderr } = await runScript('src/cli/start.ts', [], { env: { DATABASE_URL: url } });
    expect(code).toBe(1);
    expect(oneLine(stderr)).toMatch(
      /^error: DATABASE_URL: cannot connect .*: the server does not support SSL; remove \?sslmode=/,
    );
  });

  it('a password with an unencoded @ or # says to percent-encode it', async () => {
    for (const url of [
      'postgresql://aether:p@ss#word@127.0.0.1:5432/aether',
      'postgresql://aether:pa#ss@127.0.0.1:5432/aether',
    ]) {
      const { code, stderr } = await runScript('src/cli/start.ts', [], { env: { DATABASE_URL: url } });
      expect(code).toBe(1);
      expect(oneLine(stderr)).toMatch(/percent-encode them \(@ as %40, # as %23/);
      expect(stderr).not.toContain('topsecret');
    }
  });
});
