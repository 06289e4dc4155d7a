import { Migration } from '@mikro-orm/migrations';

/**
 * The lookups mail servers read (issue 17): read-only views in a schema of their own, named after
 * the data schema and the version of their columns — `aether_mail_v1` for the schema `public` (and
 * for `?schema=aether`), `<schema>_mail_v1` otherwise. A change that alters what a column means
 * adds `_mail_v2` beside it, so Postfix and Dovecot configurations keep working until they move.
 * The views run with their owner's rights: the mail role reads them and nothing else.
 * docs/postfix.md and docs/dovecot.md are the queries that use them.
 */
const LOOKUP_SCHEMA = `(case current_schema() when 'public' then 'aether' else current_schema() end) || '_mail_v1'`;

/** Domains that receive mail: verified, not suspended, owned by an active user. */
const SERVING = `d.verified and d.status = 'active' and u.status = 'active'`;
const MAILBOXES = `address m join domain d on d.id = m.domain_id join "user" u on u.id = d.owner_id`;
const ON_SERVING_DOMAIN = `m.kind = 'mailbox' and ${SERVING}`;

export class Migration20261204142500_mail_lookup_views extends Migration {
  override name = 'Migration20261204142500_mail_lookup_views';

  override up(): void | Promise<void> {
    this.addSql(`do \$do\$
declare s text := ${LOOKUP_SCHEMA};
begin
  execute format('create schema %I', s);

  -- Postfix virtual_mailbox_domains: one row per domain that receives mail
  execute format(\$v\$create view %I.virtual_domains as
    select d.name as domain from domain d join "user" u on u.id = d.owner_id where ${SERVING}\$v\$, s);

  -- Postfix virtual_mailbox_maps: active mailboxes, with a maildir path relative to the mail root
  execute format(\$v\$create view %I.virtual_mailboxes as
    select m.address, d.name || '/' || m.id || '/' as maildir from ${MAILBOXES} where ${ON_SERVING_DOMAIN} and m.status = 'active'\$v\$, s);

  -- Postfix virtual_alias_maps: a row per destination of each alias and catch-all (\`@domain\`), and
  -- an identity row per mailbox (suspended ones too), so a catch-all never swallows a mailbox's
  -- address: Postfix finds the address itself before it tries \`@domain\`
  execute format(\$v\$create view %I.virtual_aliases as
    select a.address, t.destination
      from address a join domain d on d.id = a.domain_id join "user" u on u.id = d.owner_id
      cross join lateral unnest(a.destinations) as t(destination)
      where a.kind = 'alias' and ${SERVING}
    union all
    select m.address, m.address from ${MAILBOXES} where ${ON_SERVING_DOMAIN}\$v\$, s);

  -- the selector of an application password (\`ap-<selector>-<secret>\`), '' for anything else:
  -- Dovecot passes the password it was given (%w), so the passdb query finds exactly one row
  execute format(\$v\$create function %I.selector_of(secret text) returns text
    language sql immutable strict parallel safe
    as 'select coalesce(substring(secret from ''^ap-([a-z2-7]{10})-[a-z2-7]{32}$''), '''')'\$v\$, s);

  -- Dovecot passdb: the mailbox password (selector '') and each live application password, with
  -- Dovecot's scheme prefix and the services (%s) each may log in to
  execute format(\$v\$create view %I.dovecot_passdb as
    select m.address as username, ''::text as selector, '{ARGON2ID}' || p.hash as password,
        array['imap', 'pop3', 'smtp', 'submission', 'sieve']::text[] as protocols
      from ${MAILBOXES} join mailbox_password p on p.mailbox_id = m.id
      where ${ON_SERVING_DOMAIN} and m.status = 'active'
    union all
    select m.address, ap.selector::text, '{ARGON2ID}' || ap.hash,
        case when 'smtp' = any(ap.protocols) then ap.protocols || 'submission'::text else ap.protocols end
      from ${MAILBOXES} join app_password ap on ap.mailbox_id = m.id
      where ${ON_SERVING_DOMAIN} and m.status = 'active' and ap.revoked_at is null and (ap.expires_at is null or ap.expires_at > now())\$v\$, s);

  -- Dovecot userdb: the home (relative to the mail root) and the quota rule (0 = unlimited)
  execute format(\$v\$create view %I.dovecot_userdb as
    select m.address as username, d.name || '/' || m.id as home, '*:bytes=' || m.quota_bytes as quota_rule
      from ${MAILBOXES} where ${ON_SERVING_DOMAIN} and m.status = 'active'\$v\$, s);
end
\$do\$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`do \$do\$ begin execute format('drop schema if exists %I cascade', ${LOOKUP_SCHEMA}); end \$do\$;`);
  }
}
