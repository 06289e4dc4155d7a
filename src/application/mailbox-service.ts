import { EmailAddress } from '../domain/email-address.js';
import { Email } from '../domain/email.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import { readScope, type ReadScope, loadActor, loadOwnedDomain, loadOwnedMailbox } from './loading.js';
import { claimAddress } from './address-claims.js';
import { recordMailboxEvent } from './events/outbox.js';
import { createFolderIn, deleteFolderIn, ownFolder, renameFolderIn } from './folder-tree.js';
import { lockAliasGraph } from './locking.js';
import { ModseqClock } from './mail-counters.js';
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
   * the one before it committed. Missing parents are created (see FolderService).
   */
  async createFolder(actorId: string, mailboxId: string, path: string): Promise<FolderView> {
    return this.onFolders(actorId, mailboxId, async (em, mailbox, clock) =>
      toFolderView(await createFolderIn(em, clock, mailbox, path)),
    );
  }

  /** Renames a user folder and the folders inside it; messages, UIDs and UIDVALIDITY stay. */
  async renameFolder(actorId: string, mailboxId: string, folderId: string, path: string): Promise<FolderView> {
    return this.onFolders(actorId, mailboxId, async (em, mailbox, clock) => {
      const folder = ownFolder(mailbox, folderId);
      await renameFolderIn(em, clock, mailbox, folder, path);
      return toFolderView(folder);
    });
  }

  /** Deletes an empty user folder with no folders inside it; INBOX and the special-use folders stay. */
  async deleteFolder(actorId: string, mailboxId: string, folderId: string): Promise<void> {
    await this.onFolders(actorId, mailboxId, (em, mailbox, clock) =>
      deleteFolderIn(em, clock, mailbox, ownFolder(mailbox, folderId)),
    );
  }

  /** The owner's folder changes: the mailbox locked, its folders loaded, one modseq for the journal. */
  private onFolders<T>(
    actorId: string,
    mailboxId: string,
    work: (em: EntityManager, mailbox: Mailbox, clock: ModseqClock) => Promise<T>,
  ): Promise<T> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId, true);
      await em.populate(mailbox, ['folders']);
      return work(em, mailbox, new ModseqClock(em));
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
