import { Folder } from '../domain/folder.js';
import { readScope, type ReadScope, loadActor, loadOwnedMailbox, loadUser } from './loading.js';
import type { EmailCount, StatisticsReads } from './read-models.js';
import type { UnitOfWork } from './unit-of-work.js';

export type { EmailCount } from './read-models.js';

export interface UserStatistics {
  userId: string;
  domains: number;
  mailboxes: number;
  aliases: number;
  emails: number;
  storageBytes: number;
}

export interface MailboxStatistics {
  mailboxId: string;
  address: string;
  quotaBytes: number;
  usedBytes: number;
  folders: {
    folderId: string;
    path: string;
    role: Folder['role'];
    emails: number;
    unread: number;
    bytes: number;
  }[];
}

/** Read-only figures for dashboards and reports. The database counts; nothing is loaded to be counted. */
export class StatisticsService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly statistics: StatisticsReads,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  async forUser(userId: string): Promise<UserStatistics> {
    return this.run(
      async (em) => {
        const user = await loadUser(em, userId);
        return { userId: user.id, ...(await this.statistics.userTotals(em, user.id)) };
      },
      { readOnly: true },
    );
  }

  async forMailbox(actorId: string, mailboxId: string): Promise<MailboxStatistics> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      const folders = await em.find(Folder, { mailbox }, { orderBy: { path: 'asc' } });
      const byFolder = await this.statistics.folderTotals(em, mailbox.id);
      return {
        mailboxId: mailbox.id,
        address: mailbox.address,
        quotaBytes: mailbox.quotaBytes,
        usedBytes: mailbox.usedBytes,
        folders: folders.map((f) => {
          const t = byFolder.get(f.id);
          return {
            folderId: f.id,
            path: f.path,
            role: f.role,
            emails: t?.emails ?? 0,
            unread: t?.unread ?? 0,
            bytes: t?.bytes ?? 0,
          };
        }),
      };
    }, this.reads(actorId));
  }

  /** Email count per user over all email: one query over the folders' maintained counters. */
  async emailCountsPerUser(): Promise<EmailCount[]> {
    return this.run((em) => this.statistics.emailCountsPerUser(em), { readOnly: true });
  }
}
