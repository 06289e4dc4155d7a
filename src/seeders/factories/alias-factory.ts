import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import { Alias } from '../../domain/alias.js';
import type { Domain } from '../../domain/domain.js';
import { EmailAddress } from '../../domain/email-address.js';
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
  /** Aliases made per domain, for the domain's limit (seeders start from an empty database). */
  readonly #made = new Map<Domain, number>();

  constructor(
    em: EntityManager,
    private readonly faker: Faker,
  ) {
    super(em);
  }

  protected build(input: AliasInput): Alias {
    const { domain } = input;
    const localPart = input.localPart ?? this.faker.helpers.arrayElement(ROLE_NAMES);
    domain.assertCanAddAlias(this.#made.get(domain) ?? 0);
    const alias = new Alias({
      ...(input.catchAll ? {} : { source: EmailAddress.parse(`${localPart}@${domain.name}`) }),
      domain,
      destinations: input.destinations.map((d) => EmailAddress.parse(d)),
      ...(input.now ? { now: input.now } : {}),
    });
    this.#made.set(domain, (this.#made.get(domain) ?? 0) + 1);
    return alias;
  }
}
