/**
 * A development DNS for domain verification: `AETHER_DEV_DNS_FILE` names a records file, read on
 * every lookup, with lines `NAME TXT VALUE` (blank lines and `#` comments ignored), for example
 *
 *     jane.example TXT aether-verification=3f9c…
 *
 * so that a local user can verify a domain without owning it. It is a way around the one check
 * that proves ownership, so it is honoured only where no real user's data can be: against the
 * embedded database or one on this machine, never under NODE_ENV=production. Anywhere else the
 * variable is a one-line configuration error, not silently ignored.
 */
import { readFileSync } from 'node:fs';
import type { TxtResolver } from '../../domain/domain.js';
import { ConfigurationError, isLocalHost } from '../database/database-url.js';
import type { DatabaseSettings } from '../database/database-settings.js';

const normalise = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

/** The TXT records of `file` by name. */
export function readDevelopmentRecords(file: string): Map<string, string[][]> {
  const records = new Map<string, string[][]>();
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)\s+TXT\s+(.+)$/i.exec(line);
    if (!match) continue;
    const value = match[2]!.trim().replace(/^"(.*)"$/, '$1');
    const name = normalise(match[1]!);
    records.set(name, [...(records.get(name) ?? []), [value]]);
  }
  return records;
}

/**
 * The resolver `AETHER_DEV_DNS_FILE` asks for, or undefined when it is unset. Throws a
 * ConfigurationError when it is set where it must not be honoured.
 */
export function developmentTxtResolver(
  settings: Pick<DatabaseSettings, 'embedded' | 'direct'>,
  env: NodeJS.ProcessEnv = process.env,
): TxtResolver | undefined {
  const file = env.AETHER_DEV_DNS_FILE?.trim();
  if (!file) return undefined;
  if (env.NODE_ENV === 'production') {
    throw new ConfigurationError(
      'AETHER_DEV_DNS_FILE is set under NODE_ENV=production; unset it (domains are verified with real DNS)',
    );
  }
  if (!settings.embedded && !isLocalHost(settings.direct.host)) {
    throw new ConfigurationError(
      `AETHER_DEV_DNS_FILE is only for a local database, and DATABASE_URL points at ${settings.direct.host}; unset it`,
    );
  }
  return async (hostname) => {
    let records: Map<string, string[][]>;
    try {
      records = readDevelopmentRecords(file);
    } catch (error) {
      throw Object.assign(new Error(`AETHER_DEV_DNS_FILE ${file}: ${(error as Error).message}`), { code: 'ESERVFAIL' });
    }
    const found = records.get(normalise(hostname));
    if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
}
