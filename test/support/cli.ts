/** Running the project's commands in a child process, as a user would, to check what they print. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => `${projectRoot}node_modules/.bin/${name}`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Replaces these variables of the environment; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeout?: number;
  input?: string;
}

function environment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // the project's pinned Node first, as npm scripts have it, whatever the working directory
  const path = `${projectRoot}node_modules/.bin:${process.env.PATH ?? ''}`;
  // a developer's own .env must not steer the tests: a test that wants a file names it
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: path,
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    AETHER_ENV_FILE: 'none',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `file args` and resolves with its exit code and output, whatever the code. */
export function runCommand(file: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd ?? projectRoot, env: environment(options.env), timeout: options.timeout ?? 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A project script (`src/cli/….ts`) through tsx. */
export function runScript(script: string, args: string[] = [], options: CliOptions = {}): Promise<CliResult> {
  return runCommand(bin('tsx'), [`${projectRoot}${script}`, ...args], options);
}

/** The MikroORM CLI with the project's configuration. */
export function runMikroOrm(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runCommand(bin('mikro-orm'), [...args, '--config', `${projectRoot}mikro-orm.config.ts`], options);
}

/** `npm run <script> -- args` in the project. */
export function runNpm(script: string, args: string[] = [], options: CliOptions = {}): Promise<CliResult> {
  return runCommand('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], options);
}
