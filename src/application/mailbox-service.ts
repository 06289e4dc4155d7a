import { EmailAddress } from '../domain/email-address.js';
import { Email } from '../domain/email.js';
import { NotFoundError, RuleViolationError } from '../domain/errors.js';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import { checkId, readScope, type ReadScope, loadActor, loadOwnedDomain, loadOwnedMailbox } from './loading.js';
import { claimAddress } from './address-claims.js';
import { recordMailboxEvent } from './events/outbox.js';
import { lockAliasGraph } from './locking.js';
import { assertRemovalClosesNoLoop } from './recipient-router.js';
import type { UnitOfWork } from './unit-of-work.js';
import { type FolderView, type MailboxView, toFolderView, toMailboxView } from './views.js';

/** Mailboxes and their folders, managed by the owner of the mailbox's domain. */
export class MailboxService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  /**
   * Creates a mailbox with its special-use folders. The domain row is locked while its mailboxes
   * are counted, so concurrent creations cannot overrun the domain's limit.
   */
  async create(actorId: string, input: { address: string; quotaBytes?: number }): Promise<MailboxView> {
    const address = EmailAddress.parse(input?.address);
    return this.run(async (em) => {
      const actor = await loadActor(em, actorId);
      const domain = await claimAddress(em, actor, {
        domain: address.domain,
        address: address.value,
        shown: address.unicode,
        kind: 'mailbox',
      });
      const mailbox = new Mailbox({
        address,
        domain,
        ...(input?.quotaBytes === undefined ? {} : { quotaBytes: input?.quotaBytes }),
      });
      em.persist(mailbox);
      recordMailboxEvent(em, 'mailbox.created', mailbox, { quotaBytes: mailbox.quotaBytes });
      return toMailboxView(mailbox);
    });
  }

  async get(actorId: string, mailboxId: string): Promise<MailboxView> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      await em.populate(mailbox, ['folders']);
      return toMailboxView(mailbox);
    }, this.reads(actorId));
  }

  async list(actorId: string, domainId: string): Promise<MailboxView[]> {
    return this.run(async (em) => {
      const domain = await loadOwnedDomain(em, await loadActor(em, actorId), domainId);
      const mailboxes = await em.find(Mailbox, { domain }, { orderBy: { address: 'asc' } });
      return mailboxes.map(toMailboxView);
    }, this.reads(actorId));
  }

  async suspend(actorId: string, mailboxId: string): Promise<MailboxView> {
    return this.change(actorId, mailboxId, 'mailbox.suspended', (mailbox) => mailbox.suspend());
  }

  async activate(actorId: string, mailboxId: string): Promise<MailboxView> {
    return this.change(actorId, mailboxId, 'mailbox.activated', (mailbox) => mailbox.activate());
  }

  /**
   * The domain row is locked before the mailbox (the lock order), as `domains.changeLimits` locks
   * it: a quota raised while the domain's maximum is lowered is checked against the one that holds.
   */
  async changeQuota(actorId: string, mailboxId: string, quotaBytes: number): Promise<MailboxView> {
    return this.run(async (em) => {
      const actor = await loadActor(em, actorId);
      const { domain } = await loadOwnedMailbox(em, actor, mailboxId);
      await loadOwnedDomain(em, actor, domain.id, true);
      const mailbox = await loadOwnedMailbox(em, actor, mailboxId, true);
      mailbox.changeQuota(quotaBytes);
      recordMailboxEvent(em, 'mailbox.quota_changed', mailbox, {
        quotaBytes: mailbox.quotaBytes,
        usedBytes: mailbox.usedBytes,
      });
      return toMailboxView(mailbox);
    });
  }

  /** Deletes the mailbox with its folders and email; its address becomes free again (unless freeing it would close a forwarding loop). */
  async delete(actorId: string, mailboxId: string): Promise<void> {
    await this.run(async (em) => {
      await lockAliasGraph(em);
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, true);
      await assertRemovalClosesNoLoop(em, mailbox);
      // written explicitly: the bulk deletes below bypass the unit of work's flush
      recordMailboxEvent(em, 'mailbox.deleted', mailbox);
      // the database cascades to folders and email; no need to load them first
      await em.nativeDelete(Email, { mailbox });
      await em.nativeDelete(Folder, { mailbox });
      em.remove(mailbox);
    });
  }

  /**
   * Folder names are unique by case fold, which the database's `lower(path)` index cannot fully
   * say (ß and SS): creations and renames lock the mailbox row first, so each checks the names
   * the one before it committed.
   */
  async createFolder(actorId: string, mailboxId: string, path: string): Promise<FolderView> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, true);
      await em.populate(mailbox, ['folders']);
      const folder = mailbox.addFolder(path);
      recordMailboxEvent(em, 'folder.created', mailbox, { folderId: folder.id, path: folder.path });
      return toFolderView(folder);
    });
  }

  async renameFolder(actorId: string, mailboxId: string, folderId: string, path: string): Promise<FolderView> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, true);
      await em.populate(mailbox, ['folders']);
      const folder = ownFolder(mailbox, folderId);
      const previousPath = folder.path;
      mailbox.renameFolder(folder, path);
      recordMailboxEvent(em, 'folder.renamed', mailbox, { folderId: folder.id, path: folder.path, previousPath });
      return toFolderView(folder);
    });
  }

  /** Deletes an empty user folder; INBOX and the special-use folders stay. */
  async deleteFolder(actorId: string, mailboxId: string, folderId: string): Promise<void> {
    await this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      await em.populate(mailbox, ['folders']);
      const folder = ownFolder(mailbox, folderId);
      folder.assertNotProtected('deleted');
      if ((await em.count(Email, { mailbox, folder })) > 0) {
        throw new RuleViolationError('FOLDER_NOT_EMPTY', `${folder.path} still holds email; move or delete it first`);
      }
      mailbox.folders.remove(folder);
      recordMailboxEvent(em, 'folder.deleted', mailbox, { folderId: folder.id, path: folder.path });
    });
  }

  private async change(
    actorId: string,
    mailboxId: string,
    kind: 'mailbox.suspended' | 'mailbox.activated',
    verb: (mailbox: Mailbox) => void,
    lock = false,
  ): Promise<MailboxView> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, lock);
      verb(mailbox);
      recordMailboxEvent(em, kind, mailbox);
      return toMailboxView(mailbox);
    });
  }
}

function ownFolder(mailbox: Mailbox, folderId: string): Folder {
  const id = checkId(folderId, 'folder');
  const folder = mailbox.folders.getItems().find((f) => f.id === id);
  if (!folder) throw new NotFoundError('folder');
  return folder;
}
