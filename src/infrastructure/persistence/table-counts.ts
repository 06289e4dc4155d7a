import type { EntityManager } from '@mikro-orm/postgresql';
import { Alias } from '../../domain/alias.js';
import { Domain } from '../../domain/domain.js';
import { Email } from '../../domain/email.js';
import { Folder } from '../../domain/folder.js';
import { Mailbox } from '../../domain/mailbox.js';
import { User } from '../../domain/user.js';

/** Rows per kind of thing, for `npm start` and the studio's dashboard. */
export async function countRows(
  em: EntityManager,
): Promise<Record<'user' | 'domain' | 'mailbox' | 'alias' | 'folder' | 'email', number>> {
  return {
    user: await em.count(User),
    domain: await em.count(Domain),
    mailbox: await em.count(Mailbox),
    alias: await em.count(Alias),
    folder: await em.count(Folder),
    email: await em.count(Email),
  };
}
