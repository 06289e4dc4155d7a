import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import { Email, type EmailFlags } from '../../domain/email.js';
import type { Folder } from '../../domain/folder.js';
import type { Mailbox } from '../../domain/mailbox.js';
import { checkMessageInput, type MessageInput, plainMessage } from '../../domain/message.js';
import { StoredMessage } from '../../domain/stored-message.js';
import { ConstructorFactory } from './constructor-factory.js';

export interface EmailInput {
  mailbox: Mailbox;
  /**
   * INBOX (the default) receives the message as inbound mail, which needs a verified, active
   * domain; any other folder stores it there (sent copies, drafts, imports).
   */
  folder?: Folder;
  /** Parts of the message to fix; the rest is fake. */
  message?: Partial<MessageInput>;
  flags?: Partial<EmailFlags>;
  receivedAt?: Date;
}

/**
 * Email, made the only way the domain allows: `mailbox.receive()` or `mailbox.store()`, which
 * check the mailbox, the folder and the quota, and add the size to the mailbox's `usedBytes`.
 */
/** The modseq of seeded mail and of the seeders' moves. */
export const SEEDED_MODSEQ = 1;

export class EmailFactory extends ConstructorFactory<Email, EmailInput> {
  readonly model = Email;
  private readonly contents = new Map<string, StoredMessage>();

  constructor(
    em: EntityManager,
    private readonly faker: Faker,
  ) {
    super(em);
  }

  protected build(input: EmailInput): Email {
    const { mailbox } = input;
    const folder = input.folder ?? mailbox.folder('inbox');
    const inbound = folder.role === 'inbox';
    const stranger = () => this.faker.internet.exampleEmail().toLowerCase();
    const from = input.message?.from ?? (inbound ? stranger() : mailbox.address);
    const at = input.receivedAt ?? this.faker.date.recent({ days: 30 });
    const checked = checkMessageInput({
      from,
      to: input.message?.to ?? [inbound ? mailbox.address : stranger()],
      ...(input.message?.cc ? { cc: input.message.cc } : {}),
      subject: input.message?.subject ?? this.faker.hacker.phrase(),
      body: input.message?.body ?? this.faker.lorem.paragraphs({ min: 1, max: 4 }, '\n\n'),
      // a Message-ID from the seeded faker, so the same world comes out every time
      messageId: input.message?.messageId ?? `<${this.faker.string.alphanumeric(20)}@${from.split('@')[1]}>`,
    });
    const message = plainMessage(checked, at);
    // the same bytes twice in a mailbox (a fixed world can repeat a message) are one stored message
    const key = `${mailbox.id} ${message.contentHash}`;
    const content = this.contents.get(key) ?? new StoredMessage(mailbox, message, at);
    this.contents.set(key, content);
    // seeded mail is the first change of a new mailbox: modseq 1; the folder is new, so its UIDs are taken in memory
    const placement = { folder, uid: folder.takeUid(), modseq: SEEDED_MODSEQ };
    if (!inbound)
      return mailbox.store({ message, content, placement, flags: input.flags ?? {}, receivedAt: at, now: at });
    const email = mailbox.receive(message, content, placement, at);
    if (input.flags) email.setFlags(input.flags);
    return email;
  }
}
