import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/postgresql';
import { Seeder } from '@mikro-orm/seeder';
import { recountFolders } from '../application/mail-counters.js';
import type { Alias } from '../domain/alias.js';
import type { Domain } from '../domain/domain.js';
import type { Email } from '../domain/email.js';
import type { Mailbox } from '../domain/mailbox.js';
import { MailboxPassword } from '../domain/mailbox-password.js';
import { Argon2PasswordHasher } from '../infrastructure/security/argon2-password-hasher.js';
import { AliasFactory } from './factories/alias-factory.js';
import { DomainFactory } from './factories/domain-factory.js';
import { EmailFactory, SEEDED_MODSEQ } from './factories/email-factory.js';
import { MailboxFactory } from './factories/mailbox-factory.js';
import { seededFaker } from './factories/seeded-faker.js';
import { UserFactory } from './factories/user-factory.js';
import { assertEmptyDatabase } from './support/assert-empty-database.js';
import {
  DEV_DOMAINS,
  DEV_INBOUND_PER_MAILBOX,
  DEV_MAILBOX_PASSWORD,
  DEV_REPLIES_PER_MAILBOX,
  DEV_USERS,
  DEV_WORLD_SEED,
  type DevDomain,
} from './support/dev-world.js';

/**
 * The development world described in support/dev-world.ts: three users with known passwords,
 * verified, unverified and internationalised domains, mailboxes with their folders, aliases and
 * a catch-all, and mail in INBOX, Sent, Drafts, Archive and user folders with flags set.
 *
 * Everything is made by domain constructors and verbs (through the factories), so the data keeps
 * every rule: addresses on their own domains, mail only for verified domains, quotas held and
 * `usedBytes` equal to the sizes stored. One unit of work: a single flush at the end.
 * A database that already has users is refused rather than merged into.
 */
export class DatabaseSeeder extends Seeder {
  async run(em: EntityManager): Promise<void> {
    await assertEmptyDatabase(em);
    // the real hasher with its default (OWASP) parameters, so these logins work as documented
    const hasher = new Argon2PasswordHasher();
    const hashes = await Promise.all(DEV_USERS.map((u) => hasher.hash(u.password)));
    const mailboxHash = await hasher.hash(DEV_MAILBOX_PASSWORD);
    const now = new Date();
    const faker = seededFaker(DEV_WORLD_SEED);
    const factories = {
      users: new UserFactory(em, faker),
      domains: new DomainFactory(em, faker),
      mailboxes: new MailboxFactory(em, faker),
      aliases: new AliasFactory(em, faker),
      emails: new EmailFactory(em, faker),
    };

    const users = DEV_USERS.map(({ email, name }, i) =>
      factories.users.makeOne({ email, name, passwordHash: hashes[i]!, now }),
    );
    const mailboxes = new Map<string, Mailbox>();
    const aliases: Alias[] = [];
    for (const spec of DEV_DOMAINS) {
      const domain = factories.domains.makeOne({
        owner: users[spec.owner]!,
        name: spec.name,
        verified: spec.verified,
        ...(spec.limits ? { limits: spec.limits } : {}),
        now,
      });
      for (const mailbox of makeMailboxes(factories.mailboxes, domain, spec, now))
        mailboxes.set(mailbox.address, mailbox);
      for (const { localPart, to } of spec.aliases) {
        const destinations = to.map((d) => (d.includes('@') ? d : `${d}@${domain.name}`));
        aliases.push(factories.aliases.makeOne({ domain, destinations, localPart, catchAll: localPart === '*', now }));
      }
    }

    for (const mailbox of mailboxes.values()) {
      if (mailbox.domain.receivesMail) fillMailbox(factories.emails, mailbox, faker);
      // an unverified domain receives nothing, but its mailboxes may keep drafts
      else factories.emails.makeOne({ mailbox, folder: mailbox.folder('drafts'), flags: { draft: true, seen: true } });
    }
    for (const alias of aliases) deliverThroughAlias(factories.emails, alias, mailboxes);
    for (const mailbox of mailboxes.values()) em.persist(new MailboxPassword({ mailbox, hash: mailboxHash, now }));

    // the folders' counts from the email just written (a bulk load recounts once, at the end)
    await em.begin();
    try {
      await em.flush();
      await recountFolders(
        em as unknown as SqlEntityManager,
        [...mailboxes.values()].map((m) => m.id),
      );
      await em.commit();
    } catch (error) {
      await em.rollback();
      throw error;
    }
  }
}

function makeMailboxes(factory: MailboxFactory, domain: Domain, spec: DevDomain, now: Date): Mailbox[] {
  const fixed = spec.mailboxes.map(({ localPart, quotaBytes, folder }) =>
    factory.makeOne({
      domain,
      localPart,
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
      folders: folder ? [folder] : [],
      now,
    }),
  );
  const extra = Array.from({ length: spec.extraMailboxes }, () => factory.makeOne({ domain, now }));
  return [...fixed, ...extra];
}

/** Inbound mail with flags, some of it filed into Archive and the user folder, and sent replies. */
function fillMailbox(factory: EmailFactory, mailbox: Mailbox, faker: Faker): void {
  const inbound: Email[] = [];
  for (let i = 0; i < DEV_INBOUND_PER_MAILBOX; i++) {
    inbound.push(factory.makeOne({ mailbox, flags: { seen: i % 2 === 1, flagged: i % 3 === 0 } }));
  }
  // the folder named in the spec: the last one added (Projects/Engine comes after its parent Projects)
  const userFolder = mailbox.folders
    .getItems()
    .filter((f) => f.role === null)
    .at(-1);
  mailbox.move(inbound[0]!, {
    folder: mailbox.folder('archive'),
    uid: mailbox.folder('archive').takeUid(),
    modseq: SEEDED_MODSEQ,
  });
  mailbox.move(inbound[1]!, {
    folder: mailbox.folder('archive'),
    uid: mailbox.folder('archive').takeUid(),
    modseq: SEEDED_MODSEQ,
  });
  if (userFolder) mailbox.move(inbound[2]!, { folder: userFolder, uid: userFolder.takeUid(), modseq: SEEDED_MODSEQ });
  for (const original of inbound.slice(0, DEV_REPLIES_PER_MAILBOX)) {
    const sentAt = new Date(original.receivedAt.getTime() + faker.number.int({ min: 5, max: 240 }) * 60_000);
    factory.makeOne({
      mailbox,
      folder: mailbox.folder('sent'),
      message: { to: [original.fromAddress], subject: `Re: ${original.subject}` },
      flags: { seen: true },
      receivedAt: sentAt,
    });
    original.setFlags({ seen: true, answered: true });
  }
}

/**
 * One message to the alias (for a catch-all: to an address nobody has), with a copy in the INBOX
 * of every local mailbox it forwards to, as delivery does. External destinations are only
 * forwarded, so nothing is stored for them.
 */
function deliverThroughAlias(factory: EmailFactory, alias: Alias, mailboxes: Map<string, Mailbox>): void {
  const recipient = alias.isCatchAll ? `sales${alias.address}` : alias.address;
  let first: Email | undefined;
  for (const destination of alias.destinations) {
    const mailbox = mailboxes.get(destination);
    if (!mailbox) continue;
    const copyOf = first && {
      message: {
        from: first.fromAddress,
        to: first.toAddresses,
        subject: first.subject,
        body: first.body,
        messageId: first.messageId,
      },
      receivedAt: first.receivedAt,
    };
    const email = factory.makeOne({ mailbox, ...(copyOf ?? { message: { to: [recipient] } }) });
    first ??= email;
  }
}
