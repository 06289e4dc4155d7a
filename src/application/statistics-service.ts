import { raw } from '@mikro-orm/core';
import { Alias } from '../domain/alias.js';
import { Domain } from '../domain/domain.js';
import { Email } from '../domain/email.js';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import { readScope, type ReadScope, loadActor, loadOwnedMailbox, loadUser } from './loading.js';
import type { UnitOfWork } from './unit-of-work.js';

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

export interface EmailCount {
  userId: string;
  email: string;
  emails: number;
}

interface Totals {
  emails: number;
  unread: number;
  bytes: string;
}

const TOTALS = [
  raw('count(*)::int as emails'),
  raw('(count(*) filter (where not seen))::int as unread'),
  raw('coalesce(sum(size_bytes), 0)::bigint as bytes'),
];

/** Read-only figures for dashboards and reports. The database counts; nothing is loaded to be counted. */
export class StatisticsService {
  constructor(
    private readonly run: UnitOfWork,
    private readonly reads: ReadScope = readScope(false),
  ) {}

  async forUser(userId: string): Promise<UserStatistics> {
    return this.run(
      async (em) => {
        const user = await loadUser(em, userId);
        const domains = await em.count(Domain, { owner: user });
        const mailboxes = await em.count(Mailbox, { domain: { owner: user } });
        const aliases = await em.count(Alias, { domain: { owner: user } });
        const totals = await em.createQueryBuilder(Email).select(TOTALS).where({ user }).execute<Totals>('get', false);
        return {
          userId: user.id,
          domains,
          mailboxes,
          aliases,
          emails: totals.emails,
          storageBytes: Number(totals.bytes),
        };
      },
      { readOnly: true },
    );
  }

  async forMailbox(actorId: string, mailboxId: string): Promise<MailboxStatistics> {
    return this.run(async (em) => {
      const mailbox = await loadOwnedMailbox(em, await loadActor(em, actorId), mailboxId);
      const folders = await em.find(Folder, { mailbox }, { orderBy: { path: 'asc' } });
      const rows = await em
        .createQueryBuilder(Email)
        .select([raw('folder_id'), ...TOTALS])
        .where({ mailbox })
        .groupBy(raw('folder_id'))
        .execute<(Totals & { folder_id: string })[]>('all', false);
      const byFolder = new Map(rows.map((r) => [r.folder_id, r]));
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
            bytes: Number(t?.bytes ?? 0),
          };
        }),
      };
    }, this.reads(actorId));
  }

  /** Email count per user over all email: one grouped query. */
  async emailCountsPerUser(): Promise<EmailCount[]> {
    return this.run(
      async (em) => {
        const rows = await em
          .createQueryBuilder(Email, 'e')
          .select([raw('u.id as user_id'), raw('u.email as email'), raw('count(*)::int as emails')])
          .join('e.user', 'u')
          .groupBy([raw('u.id'), raw('u.email')])
          .orderBy({ [raw('u.email')]: 'asc' })
          .execute<{ user_id: string; email: string; emails: number }[]>('all', false);
        return rows.map((r) => ({
          userId: r.user_id,
          email: r.email,
          emails: r.emails,
        }));
      },
      { readOnly: true },
    );
  }
}
