/**
 * docs/postfix.md and docs/dovecot.md show the configuration files the real-server tests run on:
 * each block marked `<!-- config: PATH -->` is what server-config.ts renders for the example
 * values, character for character, so the documented files are the tested ones.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/infrastructure/database/database-url.js';
import {
  dovecotAuthConf,
  dovecotSqlConf,
  EXAMPLE_CONNECTION,
  EXAMPLE_PATHS,
  postfixMainCf,
  postfixMapFiles,
} from '../../src/infrastructure/mail/server-config.js';

function documentedBlocks(doc: string): Map<string, string> {
  const text = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/<!-- config: (\S+) -->\n```[a-z]*\n([\s\S]*?)```/g)) blocks.set(m[1]!, m[2]!);
  return blocks;
}

describe('the documented mail server configuration', () => {
  it('docs/postfix.md holds the map files and main.cf lines the tests use', () => {
    const expected = new Map([
      ...postfixMapFiles(EXAMPLE_CONNECTION, EXAMPLE_PATHS).map((f) => [f.path, f.text] as const),
      ['main.cf', postfixMainCf(EXAMPLE_PATHS)],
    ]);
    expect(documentedBlocks('postfix.md')).toEqual(expected);
  });

  it('docs/dovecot.md holds the SQL settings and the passdb and userdb the tests use', () => {
    const expected = new Map(
      [dovecotSqlConf(EXAMPLE_CONNECTION, EXAMPLE_PATHS), dovecotAuthConf(EXAMPLE_PATHS)].map(
        (f) => [f.path, f.text] as const,
      ),
    );
    expect(documentedBlocks('dovecot.md')).toEqual(expected);
  });

  it('npm run mail:config writes the same files for the database of DATABASE_URL', async () => {
    const { directUrl } = inject('aetherDatabase');
    const out = await mkdtemp(join(tmpdir(), 'aether-mail-config-'));
    try {
      await promisify(execFile)(
        'npx',
        ['tsx', 'src/cli/mail-config.ts', '--role', 'aether_mail', '--password', 'pw', '--out', out],
        { env: { ...process.env, DATABASE_URL: directUrl } },
      );
      const target = parseDatabaseUrl(directUrl);
      const db = { ...target, user: 'aether_mail', password: 'pw' };
      for (const file of [...postfixMapFiles(db, EXAMPLE_PATHS), dovecotSqlConf(db, EXAMPLE_PATHS)])
        expect(await readFile(join(out, file.path), 'utf8'), file.path).toBe(file.text);
      expect(await readFile(join(out, '/etc/postfix/main.cf.aether'), 'utf8')).toBe(postfixMainCf(EXAMPLE_PATHS));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
