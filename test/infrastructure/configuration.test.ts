import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  describeTarget,
  parseDatabaseUrl,
} from '../../src/infrastructure/database/database-url.js';
import { resolveDatabaseSettings } from '../../src/infrastructure/database/database-settings.js';
import { createOrmConfig } from '../../src/infrastructure/database/orm-config.js';

const run = promisify(execFile);

describe('DATABASE_URL', () => {
  it('reads user, password, host, port, database and ?schema=', () => {
    const t = parseDatabaseUrl('postgresql://app:s%40cret@db.internal:6543/mail?schema=tenant_a&sslmode=require');
    expect(t).toMatchObject({
      user: 'app',
      password: 's@cret',
      host: 'db.internal',
      port: 6543,
      database: 'mail',
      schema: 'tenant_a',
      options: { sslmode: 'require' },
    });
    expect(describeTarget(t)).toBe('postgresql://app:****@db.internal:6543/mail?schema=tenant_a');
    expect(parseDatabaseUrl('postgres://u@h/d').schema).toBe('public');
  });

  it('refuses malformed URLs in one line that never shows the password', () => {
    for (const bad of [
      'not a url',
      'mysql://u:topsecret@h/d',
      'postgresql://u:topsecret@h',
      'postgresql://u:topsecret@h/d?schema=x;drop',
    ]) {
      const error = (() => {
        try {
          parseDatabaseUrl(bad);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error!.message).toMatch(/^DATABASE_URL /);
      expect(error!.message).not.toContain('topsecret');
      expect(error!.message).not.toContain('\n');
    }
  });

  it('sends application traffic through the pooler and schema work straight to the database', async () => {
    const settings = await resolveDatabaseSettings({
      DATABASE_URL: 'postgresql://owner:pw@db.internal:5432/mail?schema=aether',
      DATABASE_URL_POOLER: 'postgresql://app:pw@pooler.internal:6432/mail',
      DATABASE_POOL_MAX: '25',
      DATABASE_STATEMENT_TIMEOUT_MS: '1500',
    });
    const app = createOrmConfig(settings, 'application');
    const schema = createOrmConfig(settings, 'schema');
    expect([app.host, app.port, app.user, app.schema]).toEqual(['pooler.internal', 6432, 'app', 'aether']);
    expect([schema.host, schema.port, schema.user, schema.schema]).toEqual(['db.internal', 5432, 'owner', 'aether']);
    expect(app.pool?.max).toBe(25);
    expect(app.driverOptions).toMatchObject({ statement_timeout: 1500 });
    // schema work (a migration rewriting every email) is never cut off half-way
    expect(schema.driverOptions).toMatchObject({ statement_timeout: 0 });
  });

  it('refuses nonsense tuning values', async () => {
    await expect(
      resolveDatabaseSettings({ DATABASE_URL: 'postgresql://u@h/d', DATABASE_POOL_MAX: 'lots' }),
    ).rejects.toThrow(/DATABASE_POOL_MAX/);
    await expect(resolveDatabaseSettings({ DATABASE_URL_POOLER: 'postgresql://u@h/d' })).rejects.toThrow(
      /DATABASE_URL_POOLER is set without DATABASE_URL/,
    );
  });
});

describe('an unreachable database on the command line', () => {
  const env = { ...process.env, DATABASE_URL: 'postgresql://nobody:secret@127.0.0.1:1/x', FORCE_COLOR: '0' };
  const fails = async (file: string, args: string[]) => {
    const error = (await run(file, args, { env, timeout: 60_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stdout: string; stderr: string } | undefined;
    expect(error, 'expected a non-zero exit').toBeDefined();
    return error!;
  };

  it('npm start fails in one clear line, without the password', async () => {
    const { code, stdout, stderr } = await fails('npx', ['--no-install', 'tsx', 'src/cli/start.ts']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(
      'error: DATABASE_URL: cannot connect to 127.0.0.1:1 (database "x", user "nobody"): connection refused',
    );
  });

  it('the MikroORM CLI fails the same way', async () => {
    const { stderr } = await fails('npx', ['--no-install', 'mikro-orm', 'migration:up']);
    expect(stderr.trim()).toBe(
      'error: DATABASE_URL: cannot connect to 127.0.0.1:1 (database "x", user "nobody"): connection refused',
    );
    expect(stderr).not.toContain('secret');
  });
});
