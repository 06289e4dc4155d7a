/**
 * `.env` for the project's own commands (npm scripts, the MikroORM CLI, the studio, the bench):
 * read once, before the database settings, with Node's own parser. A variable already in the
 * environment wins over the file, as with every other dotenv tool.
 *
 * The library entry (`openAether()`) never calls this: a library must not read files from its
 * consumer's working directory. `AETHER_ENV_FILE` names another file (or `none` for no file).
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { ConfigurationError } from './database-url.js';

export interface LoadedEnvFile {
  /** The file as given to the user: relative to the working directory when it is inside it. */
  readonly file: string;
  /** Variables the file set (the environment had none of them). */
  readonly applied: readonly string[];
}

let loaded: LoadedEnvFile | undefined;

/** Loads `.env` (or `AETHER_ENV_FILE`) into `process.env` once; returns what was read, if anything. */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): LoadedEnvFile | undefined {
  if (loaded) return loaded;
  const named = env.AETHER_ENV_FILE?.trim();
  if (named === 'none') return undefined;
  const path = resolve(named || '.env');
  if (!existsSync(path)) {
    if (named) throw new ConfigurationError(`AETHER_ENV_FILE names ${named}, which does not exist`);
    return undefined;
  }
  const before = new Set(Object.keys(env));
  try {
    // never overrides a variable that is already set
    process.loadEnvFile(path);
  } catch (error) {
    throw new ConfigurationError(`cannot read ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  const rel = relative(process.cwd(), path);
  const file = rel && !rel.startsWith('..') ? rel : path;
  loaded = { file, applied: Object.keys(env).filter((k) => !before.has(k)) };
  return loaded;
}

/** The file `loadEnvFile` read in this process, for the one log line that names it. */
export function loadedEnvFile(): LoadedEnvFile | undefined {
  return loaded;
}
