import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { Seeder } from '@mikro-orm/seeder';
import { FolderCounters, writeFolderCounts } from '../application/mail-counters.js';
import type { Email } from '../domain/email.js';
import { Folder } from '../domain/folder.js';
import { Mailbox } from '../domain/mailbox.js';
import type { MessageInput } from '../domain/message.js';
import { User } from '../domain/user.js';
import { DomainFactory } from './factories/domain-factory.js';
import { EmailFactory } from './factories/email-factory.js';
import { MailboxFactory } from './factories/mailbox-factory.js';
import { seededFaker } from './factories/seeded-faker.js';
import { UserFactory } from './factories/user-factory.js';
import { DatabaseNotEmptyError } from './support/assert-empty-database.js';
import {
  every,
  hotEmails,
  mailboxOfEmail,
  VOLUME_USER_DOMAIN,
  volumeDomainName,
  volumeUserEmail,
  type VolumeSize,
} from './support/volume-layout.js';

export interface VolumeOptions {
  users: number;
  domains: number;
  mailboxes: number;
  emails: number;
  /** Emails for one hot mailbox (`user0@d0.example`, unlimited quota); 0 (the default) for none. */
  hotMailboxEmails?: number;
  /** Body size of every email in bytes (ASCII text); 1,024 by default. */
  bodyBytes?: number;
  /**
   * Emails per unit of work (a fresh fork, one transaction), 1,000 by default; the directory goes in
   * batches of about as many rows. Every flush of a unit of work walks what it manages, which grows
   * with the batch: at 5,000 the import spent a third of its CPU there and peaked near 300 MiB; at
   * 1,000 it used a third less CPU and 50 MiB less (40,000 emails, measured side by side).
   */
  batchSize?: number;
  onProgress?: (progress: VolumeProgress) => void;
}

export interface VolumeProgress {
  phase: 'directory' | 'emails';
  done: number;
  total: number;
}

export interface VolumeResult {
  users: number;
  domains: number;
  mailboxes: number;
  emails: number;
  emailBytes: number;
  directoryMs: number;
  emailMs: number;
}

/** The benchmark's fixture; `SEED_*` variables and the CLI's options override each. */
export const VOLUME_DEFAULTS = {
  users: 1_000,
  domains: 2_000,
  mailboxes: 4_000,
  emails: 200_000,
  hotMailboxEmails: 50_000,
  bodyBytes: 1_024,
  batchSize: 1_000,
} as const;

/**
 * Node flags for a process that seeds volume. Live memory stays small (a few hundred emails at a
 * time per lane), but at this allocation rate V8 would let its heap grow to several times that
 * (~500 MB over a million emails). Capped, it collects sooner: under 250 MB at the same speed.
 * Both are needed: capping the old space alone leaves the young one large, and then the process
 * spends most of its time collecting. Node reads them only at start-up (see src/cli/seed-volume.ts).
 */
export const VOLUME_NODE_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=32'];

export const VOLUME_SEED = 20261126;
/** Every volume user's password. */
export const VOLUME_PASSWORD = 'volume-dev-password';
/**
 * Its argon2id hash with the default (OWASP) parameters, made once and shared by every volume user:
 * hashing 1,000 users would take a minute, and even one hash leaves its 19 MiB of working memory
 * in the process. The tests check it against VOLUME_PASSWORD with Argon2PasswordHasher.
 */
export const VOLUME_PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$YWV0aGVyLXZvbHVtZS1zYWx0$XH2cYD5Kfh3MvZfP/wGekc/S6uXdOHDbFvE85vM0e7Q';

/**
 * Writes a large, deterministic world (users, verified domains, mailboxes with their folders,
 * inbound email) in bounded batches: each batch is a fresh fork of `em` and one transaction, and
 * only mailbox ids are kept between batches, so memory stays flat however much is written. Email
 * arrives through `mailbox.receive()` like real mail, so quotas and `usedBytes` stay exact.
 * Refuses a database that already holds volume data.
 */
export async function seedVolume(em: EntityManager, options: VolumeOptions): Promise<VolumeResult> {
  const size = checkSize(options);
  const batchSize = options.batchSize ?? VOLUME_DEFAULTS.batchSize;
  const existing = await em.fork().count(User, { email: volumeUserEmail(0) });
  if (existing > 0) {
    throw new DatabaseNotEmptyError(
      `the database already holds volume data (${volumeUserEmail(0)}); ` +
        'run `npm run db:reset` (or `npx mikro-orm migration:fresh --seed`) to start over',
    );
  }
  const faker = seededFaker(VOLUME_SEED);

  let started = performance.now();
  const mailboxIds = await seedDirectory(em, faker, size, VOLUME_PASSWORD_HASH, batchSize, options.onProgress);
  const directoryMs = performance.now() - started;
  started = performance.now();
  const emailBytes = await seedEmails(em, faker, size, mailboxIds, options, batchSize);
  const emailMs = performance.now() - started;
  const { users, domains, mailboxes, emails } = size;
  return { users, domains, mailboxes, emails, emailBytes, directoryMs, emailMs };
}

function checkSize(options: VolumeOptions): VolumeSize {
  const { users, domains, mailboxes, emails, hotMailboxEmails: hot = 0, bodyBytes = 0, batchSize = 1 } = options;
  const counts = { users, domains, mailboxes, emails, hotMailboxEmails: hot, bodyBytes };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`${name} must be a whole number from 0 upwards (got ${value})`);
    }
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a whole number from 1 upwards (got ${batchSize})`);
  }
  if (domains > 0 && users === 0) throw new Error('domains need at least one user to own them');
  if (mailboxes > 0 && domains === 0) throw new Error('mailboxes need at least one domain');
  if (emails > 0 && mailboxes === 0) throw new Error('emails need at least one mailbox');
  return { users, domains, mailboxes, emails, hot };
}

/**
 * Users, each with its domains (verified), each with its mailboxes: a user's whole directory is
 * made in one batch, so nothing needs loading back. Returns the mailbox ids by number.
 */
async function seedDirectory(
  em: EntityManager,
  faker: Faker,
  size: VolumeSize,
  passwordHash: string,
  batchSize: number,
  onProgress: VolumeOptions['onProgress'],
): Promise<string[]> {
  const mailboxIds: string[] = [];
  // rows per user: the user, its domains, their mailboxes and their six folders each
  const rowsPerUser = 1 + size.domains / size.users + (7 * size.mailboxes) / size.users;
  const usersPerBatch = Math.max(1, Math.floor(batchSize / rowsPerUser));
  const now = new Date();
  for (let start = 0; start < size.users; start += usersPerBatch) {
    const end = Math.min(start + usersPerBatch, size.users);
    const fork = em.fork({ clear: true });
    const users = new UserFactory(fork, faker);
    const domains = new DomainFactory(fork, faker);
    const mailboxes = new MailboxFactory(fork, faker);
    for (const u of every(start, end, 1)) {
      const owner = users.makeOne({ email: volumeUserEmail(u), passwordHash, now });
      for (const d of every(u, size.domains, size.users)) {
        const domain = domains.makeOne({ owner, name: volumeDomainName(d), verified: true, now });
        for (const k of every(d, size.mailboxes, size.domains)) {
          const unlimited = k === 0 && hotEmails(size) > 0; // the hot mailbox
          mailboxIds[k] = mailboxes.makeOne({
            domain,
            localPart: `user${k}`,
            ...(unlimited ? { quotaBytes: 0 } : {}),
            now,
          }).id;
        }
      }
    }
    await fork.flush();
    onProgress?.({ phase: 'directory', done: end, total: size.users });
  }
  return mailboxIds;
}

/**
 * Email is written in this many lanes side by side, each with its own connection: the database
 * inserts one lane's batch while the other's is built, instead of one waiting for the other.
 */
const LANES = 2;
/**
 * Rows per INSERT statement. It was 150 because MikroORM wrote every value into the SQL text, a
 * string that cost more than linearly to build; the values now go as bound parameters
 * (src/infrastructure/database/upstream/bound-parameters.ts), and measured again at 30,000
 * emails a larger statement gains nothing: 150 and 300 rows wrote about as fast,
 * 1,000 and 3,000 no faster and with a higher peak RSS (2 shared cores, noisy: within ±30 %).
 * Inserting as they are made keeps few emails alive at once; and a bound INSERT must stay under
 * PostgreSQL's 65,535 parameters (17 columns: at most 3,855 rows).
 */
const ROWS_PER_INSERT = 150;

/**
 * Inbound email in batches of consecutive numbers, each filling a short run of mailboxes: a batch
 * loads just those mailboxes (with their domains, which must receive mail) and their inboxes.
 * Lanes split the numbers at mailbox boundaries, so no mailbox is in two transactions at once.
 */
async function seedEmails(
  em: EntityManager,
  faker: Faker,
  size: VolumeSize,
  mailboxIds: string[],
  options: VolumeOptions,
  batchSize: number,
): Promise<number> {
  const messageFor = messagePool(faker, options.bodyBytes ?? VOLUME_DEFAULTS.bodyBytes);
  // the newest email arrives now, each earlier one a second before
  const newest = Date.now();
  let done = 0;
  let bytes = 0;

  const writeBatch = (start: number, end: number) =>
    em.fork({ clear: true }).transactional(async (tx) => {
      const ids = mailboxIds.slice(mailboxOfEmail(start, size), mailboxOfEmail(end - 1, size) + 1);
      const mailboxes = new Map(
        (await tx.find(Mailbox, { id: { $in: ids } }, { populate: ['domain'] })).map((m) => [m.id, m]),
      );
      const inboxes = new Map(
        (await tx.find(Folder, { mailbox: { $in: ids }, role: 'inbox' })).map((f) => [f.mailbox.id, f]),
      );
      const factory = new EmailFactory(tx, faker);
      const counters = FolderCounters.of(tx as unknown as SqlEntityManager);
      let rows: Email[] = [];
      for (let n = start; n < end; n++) {
        const id = mailboxIds[mailboxOfEmail(n, size)]!;
        const mailbox = mailboxes.get(id)!;
        const email = factory.makeEntity({
          mailbox,
          folder: inboxes.get(id)!,
          message: messageFor(n, mailbox.address),
          flags: { seen: n % 3 !== 0 },
          receivedAt: new Date(newest - (size.emails - 1 - n) * 1000),
        });
        rows.push(email);
        counters.arrived(email);
        bytes += email.sizeBytes;
        if (rows.length === ROWS_PER_INSERT || n === end - 1) {
          // Email rows are only inserted, never changed here: MikroORM's multi-row INSERT of the
          // entities themselves, without the unit of work's change tracking, a statement at a time
          // (the mailboxes and inboxes the factory changed are flushed once, as the batch ends)
          await tx.insertMany(rows.map((e) => e.content));
          await tx.insertMany(rows);
          rows = [];
        }
      }
      // the inboxes' counts, one update each for the batch (the lanes never share a mailbox); the
      // mailboxes, whose usedBytes receive() raised, and the inboxes, whose UIDNEXT the factory
      // raised, are flushed as the transaction ends
      await writeFolderCounts(tx as unknown as SqlEntityManager);
    });

  let failed = false;
  const fillLane = async ([first, last]: [number, number]) => {
    try {
      for (let start = first; start < last && !failed; start += batchSize) {
        const end = Math.min(start + batchSize, last);
        await writeBatch(start, end);
        done += end - start;
        options.onProgress?.({ phase: 'emails', done, total: size.emails });
      }
    } catch (error) {
      failed = true; // the other lanes stop at their next batch: nothing is left running behind
      throw error;
    }
  };
  const outcomes = await Promise.allSettled(lanes(size, LANES).map(fillLane));
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return bytes;
}

/** Email number ranges of about equal length, each starting with the first email of a mailbox. */
function lanes(size: VolumeSize, count: number): [number, number][] {
  const starts = new Set<number>();
  for (let lane = 0; lane < count; lane++) {
    let start = Math.floor((lane * size.emails) / count);
    while (start > 0 && mailboxOfEmail(start - 1, size) === mailboxOfEmail(start, size)) start--;
    starts.add(start);
  }
  const sorted = [...starts].sort((a, b) => a - b);
  return sorted.map((start, i) => [start, sorted[i + 1] ?? size.emails]);
}

/**
 * Fake senders, subjects and bodies made once and combined by email number (pool sizes are
 * primes, so combinations vary): faker per email would cost more than writing it.
 */
function messagePool(faker: Faker, bodyBytes: number): (n: number, to: string) => MessageInput {
  const senders = Array.from({ length: 53 }, () => faker.internet.exampleEmail().toLowerCase());
  const subjects = Array.from({ length: 101 }, () => faker.hacker.phrase());
  const bodies = Array.from({ length: 17 }, () => {
    let text = '';
    while (text.length < bodyBytes) text += `${faker.lorem.paragraph()}\n\n`;
    return text.slice(0, bodyBytes); // lorem is ASCII: characters are bytes
  });
  return (n, to) => ({
    from: senders[n % senders.length]!,
    to: [to],
    subject: subjects[n % subjects.length]!,
    body: bodies[n % bodies.length]!,
    messageId: `<${n}@${VOLUME_USER_DOMAIN}>`,
  });
}

function envCount(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.replaceAll('_', '');
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number (got "${env[name]}")`);
  return value;
}

/** Sizes from SEED_USERS, SEED_DOMAINS, SEED_MAILBOXES, SEED_EMAILS, SEED_HOT_EMAILS, SEED_BODY_BYTES, SEED_BATCH_SIZE. */
export function volumeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): VolumeOptions {
  const d = VOLUME_DEFAULTS;
  return {
    users: envCount(env, 'SEED_USERS', d.users),
    domains: envCount(env, 'SEED_DOMAINS', d.domains),
    mailboxes: envCount(env, 'SEED_MAILBOXES', d.mailboxes),
    emails: envCount(env, 'SEED_EMAILS', d.emails),
    hotMailboxEmails: envCount(env, 'SEED_HOT_EMAILS', d.hotMailboxEmails),
    bodyBytes: envCount(env, 'SEED_BODY_BYTES', d.bodyBytes),
    batchSize: envCount(env, 'SEED_BATCH_SIZE', d.batchSize),
  };
}

/**
 * `npx mikro-orm seeder:run --class VolumeSeeder`: the benchmark's fixture (sizes from the
 * SEED_* variables). `tsx src/cli/seed-volume.ts` does the same with options and progress.
 */
export class VolumeSeeder extends Seeder {
  async run(em: EntityManager): Promise<void> {
    const result = await seedVolume(em, volumeOptionsFromEnv());
    const seconds = result.emailMs / 1000;
    console.log(
      `Seeded ${result.users} users, ${result.domains} domains, ${result.mailboxes} mailboxes and ` +
        `${result.emails} emails (${Math.round(result.emails / Math.max(seconds, 0.001))} emails/s).`,
    );
  }
}
