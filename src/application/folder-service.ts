/**
 * The folder tree for IMAP and JMAP servers: list with exact counts, create, rename (a subtree),
 * delete, subscribe. Each method is one unit of work; every change is journalled (kind `folder`)
 * under the mailbox's next modseq, so `store.changesSince` answers JMAP Mailbox/changes.
 *
 * Principal: like the message store, a mail server acts for a mailbox it has authenticated; calls
 * name a mailbox id. The owner's own folder use cases stay on MailboxService.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { FOLDER_DELIMITER, Folder } from '../domain/folder.js';
import { MailboxState } from '../domain/mail-change.js';
import { Mailbox } from '../domain/mailbox.js';
import { createFolderIn, deleteFolderIn, ownFolder, renameFolderIn, subscribeFolderIn } from './folder-tree.js';
import { checkId } from './loading.js';
import { lockMailboxes } from './locking.js';
import { ModseqClock } from './mail-counters.js';
import type { UnitOfWork } from './unit-of-work.js';
import { type FolderView, toFolderView } from './views.js';

export interface FolderList {
  /** The hierarchy delimiter (IMAP LIST's), always `/`. */
  delimiter: typeof FOLDER_DELIMITER;
  /** The mailbox's highest modseq when listed: JMAP's Mailbox state, to pass to `store.changesSince`. */
  highestModseq: number;
  /** In path order, so a parent comes before its children. */
  folders: FolderView[];
}

export class FolderService {
  constructor(private readonly run: UnitOfWork) {}

  /**
   * The folders of a mailbox with their exact counts (messages, unseen, octets), read from the
   * folder rows in one indexed query; `subscribedOnly` gives IMAP LSUB's list.
   */
  async list(input: { mailboxId: string; subscribedOnly?: boolean }): Promise<FolderList> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    if (input.subscribedOnly !== undefined && typeof input.subscribedOnly !== 'boolean') {
      throw new ValidationError('INVALID_FOLDER_PATH', 'subscribedOnly is true or false');
    }
    return this.run(
      async (em) => {
        const folders = await em.find(Folder, { mailbox: mailboxId }, { orderBy: { path: 'asc', id: 'asc' } });
        // every mailbox has its INBOX: no folders means no mailbox
        if (folders.length === 0) throw new NotFoundError('mailbox');
        const state = await em.findOne(MailboxState, { mailbox: mailboxId });
        return {
          delimiter: FOLDER_DELIMITER,
          highestModseq: state?.highestModseq ?? 0,
          folders: folders.filter((f) => !input.subscribedOnly || f.subscribed).map(toFolderView),
        };
      },
      { readOnly: true, snapshot: true },
    );
  }

  /** CREATE: a folder and its missing parents (each journalled as created); returns the folder. */
  async create(input: { mailboxId: string; path: string }): Promise<FolderView> {
    return this.onFolders(input, async (em, mailbox, clock) =>
      toFolderView(await createFolderIn(em, clock, mailbox, input.path)),
    );
  }

  /** RENAME: the folder and every folder inside it; their messages, UIDs and UIDVALIDITY stay. */
  async rename(input: { mailboxId: string; folderId: string; path: string }): Promise<FolderView> {
    return this.onFolders(input, async (em, mailbox, clock) => {
      const folder = ownFolder(mailbox, input.folderId);
      await renameFolderIn(em, clock, mailbox, folder, input.path);
      return toFolderView(folder);
    });
  }

  /** DELETE: only an empty user folder without children (FOLDER_NOT_EMPTY, FOLDER_HAS_CHILDREN). */
  async delete(input: { mailboxId: string; folderId: string }): Promise<void> {
    await this.onFolders(input, (em, mailbox, clock) =>
      deleteFolderIn(em, clock, mailbox, ownFolder(mailbox, input.folderId)),
    );
  }

  /** SUBSCRIBE / UNSUBSCRIBE (JMAP isSubscribed). */
  async subscribe(input: { mailboxId: string; folderId: string; subscribed: boolean }): Promise<FolderView> {
    return this.onFolders(input, async (_em, mailbox, clock) => {
      const folder = ownFolder(mailbox, input.folderId);
      await subscribeFolderIn(clock, mailbox, folder, input.subscribed);
      return toFolderView(folder);
    });
  }

  /** A change to a mailbox's folders: the mailbox locked (owner, then its row), its folders loaded. */
  private onFolders<T>(
    input: { mailboxId: string },
    work: (em: EntityManager, mailbox: Mailbox, clock: ModseqClock) => Promise<T>,
  ): Promise<T> {
    const mailboxId = checkId(input?.mailboxId, 'mailbox');
    return this.run(async (em) => {
      const found = await em.findOne(Mailbox, { id: mailboxId }, { populate: ['domain'] });
      if (!found) throw new NotFoundError('mailbox');
      const locked = (await lockMailboxes(em, [found])).get(mailboxId);
      if (!locked) throw new NotFoundError('mailbox');
      await em.populate(locked.mailbox, ['folders'], { refresh: true });
      return work(em, locked.mailbox, new ModseqClock(em));
    });
  }
}
