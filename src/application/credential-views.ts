/** What the credential use cases return. No hash is ever part of one. */
import type { AppPassword } from '../domain/app-password.js';
import type { MailProtocol } from '../domain/mail-protocol.js';
import type { MailboxView } from './views.js';

export interface AppPasswordView {
  id: string;
  mailboxId: string;
  name: string;
  /** Public: the part of the secret after `ap-`, to tell a mailbox's application passwords apart. */
  selector: string;
  protocols: MailProtocol[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedFrom: string | null;
  createdAt: Date;
}

/** A new application password: the secret is here once and can never be read again. */
export interface CreatedAppPassword {
  appPassword: AppPasswordView;
  secret: string;
}

/** A successful mailbox login: the mailbox, and which credential proved it. */
export interface MailboxLogin {
  mailbox: MailboxView;
  credential: 'password' | 'app-password';
  /** The application password used, when one was. */
  appPasswordId: string | null;
}

export function toAppPasswordView(p: AppPassword): AppPasswordView {
  return {
    id: p.id,
    mailboxId: p.mailbox.id,
    name: p.name,
    selector: p.selector,
    protocols: [...p.protocols],
    expiresAt: p.expiresAt,
    revokedAt: p.revokedAt,
    lastUsedAt: p.lastUsedAt,
    lastUsedFrom: p.lastUsedFrom,
    createdAt: p.createdAt,
  };
}
