/**
 * docs/postfix.md and docs/dovecot.md show the configuration files the real-server tests run on:
 * each block marked `<!-- config: PATH -->` is what server-config.ts renders for the example
 * values, character for character, so the documented files are the tested ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
});
