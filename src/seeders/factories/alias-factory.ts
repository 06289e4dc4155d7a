import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import { Alias } from '../../domain/alias.js';
import type { Domain } from '../../domain/domain.js';
import { EmailAddress } from '../../domain/email-address.js';
import { ClaimedAddresses } from './claimed-addresses.js';
import { ConstructorFactory } from './constructor-factory.js';

export interface AliasInput {
  domain: Domain;
  destinations: string[];
  /** The part before "@"; a fake role name (info, sales, …) when omitted. Ignored for a catch-all. */
  localPart?: string;
  /** The domain's catch-all (`@domain`), which takes mail for every address nothing else takes. */
  catchAll?: boolean;
  now?: Date;
}

const ROLE_NAMES = ['info', 'sales', 'support', 'billing', 'press', 'jobs', 'hello', 'abuse'];

/** Aliases and catch-alls on a given domain. */
export class AliasFactory extends ConstructorFactory<Alias, AliasInput> {
  readonly model = Alias;
  readonly #claimed = new ClaimedAddresses('alias');

  constructor(
    em: EntityManager,
    private readonly faker: Faker,
  ) {
    super(em);
  }

  protected build(input: AliasInput): Alias {
    const { domain } = input;
    const localPart = input.localPart ?? this.faker.helpers.arrayElement(ROLE_NAMES);
    return this.#claimed.claim(
      domain,
      () =>
        new Alias({
          ...(input.catchAll ? {} : { source: EmailAddress.parse(`${localPart}@${domain.name}`) }),
          domain,
          destinations: input.destinations.map((d) => EmailAddress.parse(d)),
          ...(input.now ? { now: input.now } : {}),
        }),
    );
  }
}
