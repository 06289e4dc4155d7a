import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import type { Domain } from '../../domain/domain.js';
import { EmailAddress } from '../../domain/email-address.js';
import { Mailbox } from '../../domain/mailbox.js';
import { ClaimedAddresses } from './claimed-addresses.js';
import { ConstructorFactory } from './constructor-factory.js';

export interface MailboxInput {
  domain: Domain;
  /** The part before "@"; a fake first name when omitted. */
  localPart?: string;
  /** The domain's default quota when omitted; 0 is unlimited. */
  quotaBytes?: number;
  /** User folders to add next to the six special-use ones. */
  folders?: string[];
  now?: Date;
}

/** Mailboxes (with their six special-use folders, made by the constructor) on a given domain. */
export class MailboxFactory extends ConstructorFactory<Mailbox, MailboxInput> {
  readonly model = Mailbox;
  readonly #claimed = new ClaimedAddresses('mailbox');

  constructor(
    em: EntityManager,
    private readonly faker: Faker,
  ) {
    super(em);
  }

  protected build(input: MailboxInput): Mailbox {
    const { domain } = input;
    const localPart =
      input.localPart ??
      this.faker.person
        .firstName()
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '');
    const now = input.now ?? new Date();
    return this.#claimed.claim(domain, () => {
      const mailbox = new Mailbox({
        address: EmailAddress.parse(`${localPart}@${domain.name}`),
        domain,
        ...(input.quotaBytes === undefined ? {} : { quotaBytes: input.quotaBytes }),
        now,
      });
      for (const path of input.folders ?? []) mailbox.addFolder(path, now);
      return mailbox;
    });
  }
}
