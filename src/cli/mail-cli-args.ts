/**
 * Argument handling of the mail commands (db:mail-role, mail:config): node:util parseArgs, `--help`
 * prints the usage, and anything wrong ends in one line on stderr and exit status 1.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** `config` must declare a boolean `help` option: on --help the usage is printed and the process ends. */
export function parseMailCliArgs<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>>['values'] {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    fail(`${(error as Error).message} (see --help)`);
  }
  if ((parsed.values as { help?: unknown }).help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed.values;
}
