/**
 * Where the published lookups live (created by Migration20261204142500_mail_lookup_views): a schema
 * of their own, named after the data schema and the version of their columns.
 */
export const MAIL_LOOKUP_VERSION = 1;

/** `aether_mail_v1` for the data schema `public` (and `aether`), `<schema>_mail_v1` otherwise. */
export function mailLookupSchema(dataSchema: string): string {
  return `${dataSchema === 'public' ? 'aether' : dataSchema}_mail_v${MAIL_LOOKUP_VERSION}`;
}

/** The views, what each is for; the mail role may read these and nothing else. */
export const MAIL_LOOKUP_VIEWS = [
  'virtual_domains',
  'virtual_mailboxes',
  'virtual_aliases',
  'dovecot_passdb',
  'dovecot_userdb',
] as const;
