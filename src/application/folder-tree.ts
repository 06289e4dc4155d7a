/**
 * The folder tree's changes, shared by the owner's use cases (MailboxService) and the server's
 * (FolderService): each journals what it did under the unit of work's modseq (kind `folder`, for
 * JMAP Mailbox/changes) and records its events. The caller holds the mailbox's row lock and has
 * its folders loaded: names are unique by case fold, which only the lock lets it check.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Email } from '../domain/email.js';
import { NotFoundError, RuleViolationError } from '../domain/errors.js';
import type { Folder } from '../domain/folder.js';
import type { Mailbox } from '../domain/mailbox.js';
import { recordMailboxEvent } from './events/outbox.js';
import { checkId } from './loading.js';
import type { ModseqClock } from './mail-counters.js';

/** Creates a folder and its missing parents; returns the folder asked for. */
export async function createFolderIn(em: EntityManager, clock: ModseqClock, mailbox: Mailbox, path: string) {
  const created = mailbox.addFolderPath(path);
  for (const folder of created) {
    const modseq = await clock.record(mailbox, 'folder', { folderId: folder.id, folderEvent: 'created' });
    recordMailboxEvent(em, 'folder.created', mailbox, { folderId: folder.id, path: folder.path }, { modseq });
  }
  return created.at(-1)!;
}

/** Renames a folder with everything under it (same rows: messages, UIDs and UIDVALIDITY stay). */
export async function renameFolderIn(
  em: EntityManager,
  clock: ModseqClock,
  mailbox: Mailbox,
  folder: Folder,
  path: string,
): Promise<void> {
  const { renamed, created } = mailbox.renameFolder(folder, path);
  for (const parent of created) {
    const modseq = await clock.record(mailbox, 'folder', { folderId: parent.id, folderEvent: 'created' });
    recordMailboxEvent(em, 'folder.created', mailbox, { folderId: parent.id, path: parent.path }, { modseq });
  }
  for (const { folder: f, previousPath } of renamed) {
    const modseq = await clock.record(mailbox, 'folder', { folderId: f.id, folderEvent: 'renamed' });
    recordMailboxEvent(em, 'folder.renamed', mailbox, { folderId: f.id, path: f.path, previousPath }, { modseq });
  }
}

/**
 * Deletes a user folder that holds no email and has no folders inside it; anything else is
 * refused (FOLDER_NOT_EMPTY, FOLDER_HAS_CHILDREN, FOLDER_PROTECTED) and nothing changes. Mail is
 * never deleted or moved as a side effect: the caller moves or expunges it first. The email
 * table's foreign key to the folder refuses the delete too, should anything slip past.
 */
export async function deleteFolderIn(
  em: EntityManager,
  clock: ModseqClock,
  mailbox: Mailbox,
  folder: Folder,
): Promise<void> {
  folder.assertNotProtected('deleted');
  if ((await em.count(Email, { mailbox, folder })) > 0) {
    throw new RuleViolationError('FOLDER_NOT_EMPTY', `${folder.path} still holds email; move or delete it first`);
  }
  mailbox.removeFolder(folder);
  const modseq = await clock.record(mailbox, 'folder', { folderId: folder.id, folderEvent: 'deleted' });
  recordMailboxEvent(em, 'folder.deleted', mailbox, { folderId: folder.id, path: folder.path }, { modseq });
}

/** Subscribes or unsubscribes (IMAP SUBSCRIBE / UNSUBSCRIBE, JMAP isSubscribed); journalled when it changes. */
export async function subscribeFolderIn(
  clock: ModseqClock,
  mailbox: Mailbox,
  folder: Folder,
  subscribed: boolean,
): Promise<void> {
  if (folder.subscribe(subscribed)) {
    await clock.record(mailbox, 'folder', {
      folderId: folder.id,
      folderEvent: subscribed ? 'subscribed' : 'unsubscribed',
    });
  }
}

/** A folder of the mailbox (its folders loaded), or NOT_FOUND. */
export function ownFolder(mailbox: Mailbox, folderId: string): Folder {
  const id = checkId(folderId, 'folder');
  const folder = mailbox.folders.getItems().find((f) => f.id === id);
  if (!folder) throw new NotFoundError('folder');
  return folder;
}
