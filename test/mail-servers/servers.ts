/**
 * Debian's Postfix and Dovecot, run from private configuration directories on this machine only:
 * `postmap -c DIR -q KEY pgsql:FILE` for the Postfix maps, and a Dovecot of our own (no listeners,
 * only its auth service) for `doveadm auth test` and `doveadm user`. The configuration files are
 * the documented ones (src/infrastructure/mail/server-config.ts), rendered for the test database.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type ConfigFile,
  dovecotAuthConf,
  dovecotSqlConf,
  type MailServerConnection,
  type MailServerPaths,
  postfixMainCf,
  postfixMapFiles,
} from '../../src/infrastructure/mail/server-config.js';

export const BINARIES = [
  '/usr/sbin/postmap',
  '/usr/lib/postfix/postfix-pgsql.so',
  '/usr/sbin/dovecot',
  '/usr/bin/doveadm',
  '/usr/lib/dovecot/modules/auth/libdriver_pgsql.so',
];
export const missingBinaries = BINARIES.filter((b) => !existsSync(b));
/** In CI (MAIL_SERVERS_E2E=1, set by .ci/run) a missing server fails the run; elsewhere the tests are skipped, loudly. */
export const serversRequired = Boolean(process.env.CI) || process.env.MAIL_SERVERS_E2E === '1';
export const INSTALL_HINT =
  'apt-get install -y postfix postfix-pgsql dovecot-core dovecot-pgsql (with a /usr/sbin/policy-rc.d that exits 101, so they do not start)';

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function writeAll(files: ConfigFile[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(file.path), { recursive: true, mode: 0o755 });
    await writeFile(file.path, file.text, { mode: 0o644 });
  }
}

export interface MailServers {
  dir: string;
  /** `postmap -q key` on one of the maps: the value, or null when the key is not found. */
  postmap(map: 'virtual-domains' | 'virtual-mailboxes' | 'virtual-aliases', key: string): Promise<string | null>;
  /** `doveadm auth test` for a service: whether the passdb accepted the login. */
  authTest(user: string, password: string, service: string): Promise<{ ok: boolean; output: string }>;
  /** `doveadm user`: the userdb fields, or null for an unknown user. */
  userdb(user: string): Promise<Record<string, string> | null>;
  stop(): Promise<void>;
}

export async function startMailServers(db: MailServerConnection): Promise<MailServers> {
  const dir = await mkdtemp(join(tmpdir(), 'aether-mail-'));
  await chmod(dir, 0o755); // Dovecot's auth process runs as `dovecot` and reads its files here
  const paths: MailServerPaths = {
    postfixMaps: join(dir, 'postfix', 'aether'),
    dovecotConfig: join(dir, 'dovecot'),
    mailRoot: join(dir, 'vmail'),
  };
  const postfixDir = join(dir, 'postfix');
  // main.cf: the documented lines, and what keeps this Postfix to itself
  const mainCf: ConfigFile = {
    path: join(postfixDir, 'main.cf'),
    text: [
      'compatibility_level = 3.6',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${join(dir, 'postfix.log')}`,
      `data_directory = ${join(dir, 'postfix-data')}`,
      `queue_directory = ${join(dir, 'postfix-queue')}`,
      'inet_interfaces = loopback-only',
      'mydestination =',
      'default_transport = error:this test Postfix sends nothing off the machine',
      'relay_transport = error:this test Postfix sends nothing off the machine',
      postfixMainCf(paths),
    ].join('\n'),
  };
  const dovecotConf: ConfigFile = {
    path: join(paths.dovecotConfig, 'dovecot.conf'),
    text: [
      `base_dir = ${join(dir, 'dovecot-run')}`,
      `log_path = ${join(dir, 'dovecot.log')}`,
      'protocols =',
      'listen = 127.0.0.1',
      'ssl = no',
      'auth_mechanisms = plain',
      'disable_plaintext_auth = no',
      'auth_verbose = yes',
      // Dovecot delays each failed login by 2 seconds (against guessing); the tests fail many on purpose
      'auth_failure_delay = 0',
      `!include ${dovecotAuthConf(paths).path}`,
      '',
    ].join('\n'),
  };
  await writeAll([
    mainCf,
    ...postfixMapFiles(db, paths),
    dovecotSqlConf(db, paths),
    dovecotAuthConf(paths),
    dovecotConf,
  ]);

  const dovecot: ChildProcess = spawn('/usr/sbin/dovecot', ['-F', '-c', dovecotConf.path], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => dovecot.once('exit', () => resolve()));
  // ready when the auth socket answers
  const doveadm = (...args: string[]) => run('/usr/bin/doveadm', ['-c', dovecotConf.path, ...args]);
  for (let i = 0; ; i++) {
    if (existsSync(join(dir, 'dovecot-run', 'auth-client'))) break;
    if (dovecot.exitCode !== null || i > 300) throw new Error(`dovecot did not start (see ${dir}/dovecot.log)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  return {
    dir,
    async postmap(map, key) {
      const result = await run('/usr/sbin/postmap', [
        '-c',
        postfixDir,
        '-q',
        key,
        `pgsql:${join(paths.postfixMaps, `${map}.cf`)}`,
      ]);
      if (result.code === 1 && result.stdout === '' && result.stderr === '') return null; // not found
      if (result.code !== 0) throw new Error(`postmap failed (${result.code}): ${result.stderr}`);
      return result.stdout.trim();
    },
    async authTest(user, password, service) {
      // no-penalty: Dovecot slows down repeated failures from one client, which these tests are on purpose
      const result = await doveadm('auth', 'test', '-x', `service=${service}`, '-x', 'no-penalty', user, password);
      const output = result.stdout + result.stderr;
      // 77 (EX_NOPERM) is a refused login; anything else (no socket, no database) is a broken setup
      if (result.code !== 0 && result.code !== 77)
        throw new Error(`doveadm auth test failed (${result.code}): ${output}`);
      return { ok: result.code === 0, output };
    },
    async userdb(user) {
      const result = await doveadm('user', '-u', user);
      if (result.code === 67) return null; // EX_NOUSER: "userdb lookup: user … doesn't exist"
      if (result.code !== 0) throw new Error(`doveadm user failed (${result.code}): ${result.stdout}${result.stderr}`);
      // lines of `field      : value`, after a first line naming the source
      return Object.fromEntries(
        result.stdout
          .split('\n')
          .map((line) => /^(\S+)\s*:\s(.*)$/.exec(line.trim()))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1]!, m[2]!.trim()]),
      );
    },
    async stop() {
      if (dovecot.exitCode === null) {
        dovecot.kill('SIGTERM');
        await exited;
      }
      if (!process.env.KEEP_MAIL_DIR) await rm(dir, { recursive: true, force: true });
    },
  };
}
