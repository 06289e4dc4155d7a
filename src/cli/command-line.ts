/**
 * What every project command shares: `.env` is read first, `--help` works, a wrong option is one
 * line (never `ERR_PARSE_ARGS_UNKNOWN_OPTION` with a stack), and every failure a user can cause
 * ends the process with one `error: …` line and status 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeFailure } from '../infrastructure/database/failure-line.js';
import { loadEnvFile } from '../infrastructure/database/env-file.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Prints `error: …` for any failure and exits 1; used by every command's main function. */
export function fail(error: unknown): never {
  console.error(`error: ${describeFailure(error)}`);
  process.exit(1);
}

/**
 * Reads `.env`, parses the command line against `options` (plus `-h/--help`, which prints `usage`
 * and exits 0), and returns the values. A wrong option or value is one line and status 2.
 */
export function commandLine<O extends Options>(usage: string, options: O) {
  try {
    loadEnvFile();
  } catch (error) {
    fail(error);
  }
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
    if ((values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
  } catch (error) {
    console.error(`error: ${(error as Error).message.split('\n')[0]} (see --help)`);
    process.exit(2);
  }
}

/** Runs a command's main work; any failure is one line and status 1. */
export async function run(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    fail(error);
  }
}
