/**
 * `npm run mail:config -- --password … [--role aether_mail] [--mail-root /var/vmail] [--out DIR]`:
 * the Postfix map files, main.cf lines and Dovecot settings of docs/postfix.md and docs/dovecot.md,
 * for the database and schema of DATABASE_URL. Printed, or written under --out (as /etc would hold them).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fail, parseMailCliArgs } from './mail-cli-args.js';
import { resolveDatabaseSettings } from '../infrastructure/database/database-settings.js';
import {
  type ConfigFile,
  dovecotAuthConf,
  dovecotSqlConf,
  EXAMPLE_PATHS,
  postfixMainCf,
  postfixMapFiles,
} from '../infrastructure/mail/server-config.js';

const HELP = `Usage: npm run mail:config -- --password SECRET [--role NAME] [--mail-root DIR] [--out DIR]

Prints the Postfix and Dovecot configuration that reads the published lookups of the
DATABASE_URL database and schema (docs/postfix.md, docs/dovecot.md), connecting as the mail
role (npm run db:mail-role).

  --role NAME        the mail role; default aether_mail
  --password SECRET  its password (written into the files: keep them readable by the servers only)
  --mail-root DIR    the root of the mailboxes' homes; default /var/vmail
  --out DIR          write the files under DIR (DIR/etc/postfix/…, DIR/etc/dovecot/…) instead of printing them
  --help             this text`;

const values = parseMailCliArgs(
  {
    options: {
      role: { type: 'string', default: 'aether_mail' },
      password: { type: 'string' },
      'mail-root': { type: 'string', default: EXAMPLE_PATHS.mailRoot },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  },
  HELP,
);
if (!values.password) fail('--password is required: the mail role logs in with it (see --help)');

const { direct } = await resolveDatabaseSettings().catch((error: Error) => fail(error.message));
const db = {
  host: direct.host,
  port: direct.port,
  database: direct.database,
  user: values.role!,
  password: values.password,
  schema: direct.schema,
};
const paths = { ...EXAMPLE_PATHS, mailRoot: values['mail-root']! };
const mainCf: ConfigFile = { path: '/etc/postfix/main.cf.aether', text: postfixMainCf(paths) };
const files: ConfigFile[] = [...postfixMapFiles(db, paths), mainCf, dovecotSqlConf(db, paths), dovecotAuthConf(paths)];
const label = (file: ConfigFile) => (file === mainCf ? '/etc/postfix/main.cf (add these lines)' : file.path);
if (values.out) {
  for (const file of files) {
    const path = join(values.out, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text, { mode: 0o640 });
    console.log(`wrote ${path}`);
  }
} else {
  for (const file of files) console.log(`# ${label(file)}\n${file.text}`);
}
