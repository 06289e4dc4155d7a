/**
 * What `DatabaseSeeder` builds: the documented development world. Logins and fixed addresses are
 * listed here; the other mailbox names, the senders, subjects and bodies come from a faker with
 * the fixed seed below, so every run builds the same world.
 */

export const DEV_WORLD_SEED = 20261125;

/** Development logins: the passwords are public on purpose. Never seed these into production. */
export const DEV_USERS = [
  { email: 'ada@example.com', name: 'Ada Lovelace', password: 'ada-dev-password' },
  { email: 'grace@example.com', name: 'Grace Hopper', password: 'grace-dev-password' },
  { email: 'linus@example.com', name: 'Linus Torvalds', password: 'linus-dev-password' },
] as const;

/** The password of every mailbox of the development world (IMAP, POP3, SMTP; public on purpose). */
export const DEV_MAILBOX_PASSWORD = 'mailbox-dev-password';

export interface DevDomain {
  name: string;
  /** Index into DEV_USERS. */
  owner: number;
  verified: boolean;
  limits?: { maxMailboxes?: number; defaultQuotaBytes?: number; maxQuotaBytes?: number };
  /** Fixed mailboxes; the first one also gets a user folder. */
  mailboxes: { localPart: string; quotaBytes?: number; folder?: string }[];

  /** More mailboxes with fake first names. */
  extraMailboxes: number;
  /**
   * `localPart` is `*` for the domain's catch-all. A destination without "@" is a mailbox on
   * this domain; one with "@" is any address (local elsewhere, or external and only forwarded).
   */
  aliases: { localPart: string; to: string[] }[];
}

const KIB = 1024;
const MIB = 1024 * KIB;

export const DEV_DOMAINS: readonly DevDomain[] = [
  {
    name: 'analytical.example',
    owner: 0,
    verified: true,
    mailboxes: [{ localPart: 'ada', folder: 'Projects/Engine' }],
    extraMailboxes: 2,
    aliases: [{ localPart: 'info', to: ['ada'] }],
  },
  {
    // an internationalised name: stored as xn--bcher-kva.example, shown as bücher.example
    name: 'bücher.example',
    owner: 0,
    verified: true,
    limits: { maxMailboxes: 5, defaultQuotaBytes: 10 * MIB, maxQuotaBytes: 50 * MIB },
    mailboxes: [{ localPart: 'leser', folder: 'Krimis' }],
    extraMailboxes: 0,
    aliases: [],
  },
  {
    // not verified yet: it receives no mail, but a mailbox on it may keep a draft
    name: 'difference-engine.example',
    owner: 0,
    verified: false,
    mailboxes: [{ localPart: 'charles' }],
    extraMailboxes: 0,
    aliases: [],
  },
  {
    name: 'cobol.example',
    owner: 1,
    verified: true,
    mailboxes: [{ localPart: 'grace', folder: 'Compilers' }],
    extraMailboxes: 2,
    aliases: [
      { localPart: 'team', to: ['grace', 'ada@analytical.example', 'auditor@partner.example'] },
      { localPart: '*', to: ['grace'] },
    ],
  },
  {
    // waiting for its TXT record: no mailboxes yet
    name: 'navy.example',
    owner: 1,
    verified: false,
    mailboxes: [],
    extraMailboxes: 0,
    aliases: [],
  },
  {
    name: 'kernel.example',
    owner: 2,
    verified: true,
    // a small quota, so the quota shows in use
    mailboxes: [{ localPart: 'linus', quotaBytes: 16 * KIB, folder: 'Releases' }],
    extraMailboxes: 1,
    aliases: [{ localPart: 'maintainers', to: ['linus', 'grace@cobol.example'] }],
  },
];

/** Per mailbox on a verified domain: inbound messages (some then filed away) and sent replies. */
export const DEV_INBOUND_PER_MAILBOX = 8;
export const DEV_REPLIES_PER_MAILBOX = 2;
