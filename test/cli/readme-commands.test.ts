/**
 * The README is the front door: the targets its commands table names are the ones `make help`
 * lists, and every `npm run` script it mentions exists.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/cli.js';

const readme = readFileSync(`${projectRoot}README.md`, 'utf8');
const commandsSection = readme.slice(
  readme.indexOf('## Commands'),
  readme.indexOf('\n## ', readme.indexOf('## Commands') + 1),
);

describe("the README's commands", () => {
  it('the commands table names the same make targets as `make help`', () => {
    const help = execFileSync('make', ['--no-print-directory', 'help'], { cwd: projectRoot, encoding: 'utf8' });
    const listed = [...help.matchAll(/^ {2}make (\S+)/gm)].map((m) => m[1]).sort();
    const documented = [...new Set([...commandsSection.matchAll(/`make ([a-z-]+)/g)].map((m) => m[1]))].sort();
    expect(documented).toEqual(listed);
  });

  it('every `npm run` script the README mentions exists', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(`${projectRoot}package.json`, 'utf8')).scripts);
    const mentioned = [...new Set([...readme.matchAll(/npm run (?:-s )?([a-z][a-z:-]*)/g)].map((m) => m[1]!))];
    expect(mentioned.length).toBeGreaterThan(10);
    for (const name of mentioned) expect(scripts, name).toContain(name);
  });
});
