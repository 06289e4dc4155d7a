/**
 * The embedded PostgreSQL never hangs or corrupts: a startup lock whose holder is dead is broken at
 * once, Ctrl-C (SIGINT to the whole process group) leaves no lock behind, a server whose directory
 * was deleted is stopped instead of running beside a new cluster, and `db:url`/`db:serve` give a
 * developer the URL and a server to use it on. Each test works in an AETHER_HOME of its own.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { projectRoot, runScript } from '../support/cli.js';

// whole commands in child processes, on a machine shared with other work
vi.setConfig({ testTimeout: 240_000 });

const homes: string[] = [];
const children: ChildProcess[] = [];
function freshHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'aether-home-'));
  // as root the server runs as the postgres user, which must reach the data directory
  spawnSync('chmod', ['755', home]);
  homes.push(home);
  return home;
}
const embedded = (home: string) => ({ AETHER_HOME: home, DATABASE_URL: undefined, AETHER_ENV_FILE: 'none' });

/** `db:serve` in a process group of its own, as a terminal runs it; resolves with its URL. */
async function serve(home: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  // one process (tsx's loader in it, not tsx's parent that relays signals) so that its own exit is seen
  const child = spawn(
    `${projectRoot}node_modules/.bin/node`,
    ['--import', 'tsx', `${projectRoot}src/cli/db-serve.ts`],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        PATH: `${projectRoot}node_modules/.bin:${process.env.PATH}`,
        AETHER_HOME: home,
        AETHER_ENV_FILE: 'none',
        DATABASE_URL: '',
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /Embedded PostgreSQL: (\S+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    void exited.then((code) => reject(new Error(`db:serve exited with ${code}: ${out}`)));
  });
  return { child, url, exited };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe('the embedded PostgreSQL', () => {
  it('db:serve keeps it up until Ctrl-C, which leaves no lock and stops the server', async () => {
    const home = freshHome();
    const { child, url, exited } = await serve(home);
    expect(await answers(url)).toBe(true);
    const printed = await runScript('src/cli/db-url.ts', [], { env: embedded(home) });
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toBe(url);
    // the terminal sends SIGINT to the whole process group
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(home, 'startup.lock'))).toBe(false);
    expect(existsSync(join(home, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(await answers(url)).toBe(false);
  });

  it('a startup lock whose holder is dead is broken at once', async () => {
    const home = freshHome();
    const dead = spawnSync('true').pid;
    mkdirSync(join(home, 'startup.lock'), { recursive: true });
    writeFileSync(join(home, 'startup.lock.pid'), String(dead));
    const { code, stdout, stderr } = await runScript('src/cli/db-url.ts', [], { env: embedded(home), timeout: 45_000 });
    expect(stderr).not.toContain('waiting for');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^postgresql:\/\/postgres:.+@127\.0\.0\.1:\d+\/aether\n$/);
    expect(existsSync(join(home, 'startup.lock'))).toBe(false);
  });

  it('a server whose directory was deleted is stopped, and a line says so', async () => {
    const home = freshHome();
    const { child, url, exited } = await serve(home);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home);
    spawnSync('chmod', ['755', home]);
    const { code, stderr } = await runScript('src/cli/db-url.ts', [], { env: embedded(home) });
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /\[aether\] stopped the embedded PostgreSQL \(pid \d+\) that was still running on the deleted /,
    );
    expect(await answers(url)).toBe(false);
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('a data directory owned by another user is one line', async () => {
    const home = freshHome();
    mkdirSync(join(home, 'postgres'));
    chownSync(join(home, 'postgres'), 65534, 65534);
    const { code, stdout, stderr } = await runScript('src/cli/start.ts', [], { env: embedded(home) });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^error: embedded PostgreSQL: .*postgres belongs to uid 65534, not to uid \d+ that runs the server; /,
      ),
    ]);
  });
});
