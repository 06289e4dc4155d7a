/**
 * The Postfix and Dovecot settings that read the published lookups, as files. One source for
 * three readers: docs/postfix.md and docs/dovecot.md show them rendered for the example values
 * below (test/mail-servers/documented-config.test.ts holds the docs to it), and the real-server
 * tests run Postfix and Dovecot on them rendered for the test database.
 */
import { mailLookupSchema } from './lookup-schema.js';

export interface MailServerConnection {
  host: string;
  port: number;
  database: string;
  /** The mail role (`npm run db:mail-role`), never the owner or the application's role. */
  user: string;
  password: string;
  /** The data schema (`?schema=` of DATABASE_URL); the views are in mailLookupSchema(schema). */
  schema: string;
}

export interface MailServerPaths {
  /** Where the pgsql: map files go. */
  postfixMaps: string;
  /** Where dovecot-sql.conf.ext goes. */
  dovecotConfig: string;
  /** The root of the mailboxes' homes (each mailbox: <root>/<ascii domain>/<mailbox id>). */
  mailRoot: string;
}

/** What the docs show. */
export const EXAMPLE_CONNECTION: MailServerConnection = {
  host: '127.0.0.1',
  port: 5432,
  database: 'aether',
  user: 'aether_mail',
  password: 'change-me',
  schema: 'public',
};
export const EXAMPLE_PATHS: MailServerPaths = {
  postfixMaps: '/etc/postfix/aether',
  dovecotConfig: '/etc/dovecot',
  mailRoot: '/var/vmail',
};

/** A file of configuration: where it goes and what it holds. */
export interface ConfigFile {
  path: string;
  text: string;
}

const POSTFIX_MAPS = {
  'virtual-domains.cf': (v: string) => `SELECT domain FROM ${v}.virtual_domains WHERE domain = '%s'`,
  'virtual-mailboxes.cf': (v: string) => `SELECT maildir FROM ${v}.virtual_mailboxes WHERE address = '%s'`,
  'virtual-aliases.cf': (v: string) => `SELECT destination FROM ${v}.virtual_aliases WHERE address = '%s'`,
} as const;

/** The three pgsql: map files (Postfix escapes `%s` for SQL itself). */
export function postfixMapFiles(db: MailServerConnection, paths: MailServerPaths): ConfigFile[] {
  const views = mailLookupSchema(db.schema);
  return Object.entries(POSTFIX_MAPS).map(([name, query]) => ({
    path: `${paths.postfixMaps}/${name}`,
    text: [
      `hosts = ${db.host}:${db.port}`,
      `user = ${db.user}`,
      `password = ${db.password}`,
      `dbname = ${db.database}`,
      `query = ${query(views)}`,
      '',
    ].join('\n'),
  }));
}

/** The lines of main.cf that put the maps to work. */
export function postfixMainCf(paths: MailServerPaths): string {
  return [
    `virtual_mailbox_domains = pgsql:${paths.postfixMaps}/virtual-domains.cf`,
    `virtual_mailbox_maps = pgsql:${paths.postfixMaps}/virtual-mailboxes.cf`,
    `virtual_alias_maps = pgsql:${paths.postfixMaps}/virtual-aliases.cf`,
    '',
  ].join('\n');
}

/**
 * dovecot-sql.conf.ext. The passdb query finds one row: the mailbox password when the secret has
 * no application password's shape, else the application password its selector names, and only
 * when the service (`%s`) is in its scopes. `%w` is the password the client sent, which Dovecot
 * escapes for SQL like every other variable.
 */
export function dovecotSqlConf(db: MailServerConnection, paths: MailServerPaths): ConfigFile {
  const v = mailLookupSchema(db.schema);
  return {
    path: `${paths.dovecotConfig}/dovecot-sql.conf.ext`,
    text: [
      'driver = pgsql',
      `connect = host=${db.host} port=${db.port} dbname=${db.database} user=${db.user} password=${db.password}`,
      `password_query = SELECT username AS user, password FROM ${v}.dovecot_passdb WHERE username = '%u' AND selector = ${v}.selector_of('%w') AND '%s' = ANY(protocols)`,
      `user_query = SELECT '${paths.mailRoot}/' || home AS home, quota_rule FROM ${v}.dovecot_userdb WHERE username = '%u'`,
      `iterate_query = SELECT username AS user FROM ${v}.dovecot_userdb`,
      '',
    ].join('\n'),
  };
}

/** The passdb and userdb blocks (conf.d/auth-aether.conf.ext, included from dovecot.conf). */
export function dovecotAuthConf(paths: MailServerPaths): ConfigFile {
  return {
    path: `${paths.dovecotConfig}/conf.d/auth-aether.conf.ext`,
    text: [
      '# addresses are stored case-folded; logins compare lower-cased',
      'auth_username_format = %Lu',
      'passdb {',
      '  driver = sql',
      `  args = ${paths.dovecotConfig}/dovecot-sql.conf.ext`,
      '}',
      'userdb {',
      '  driver = sql',
      `  args = ${paths.dovecotConfig}/dovecot-sql.conf.ext`,
      '}',
      '',
    ].join('\n'),
  };
}
