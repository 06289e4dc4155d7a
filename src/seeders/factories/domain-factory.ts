import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import { Domain, type DomainLimits } from '../../domain/domain.js';
import { DomainName } from '../../domain/domain-name.js';
import type { User } from '../../domain/user.js';
import { ConstructorFactory } from './constructor-factory.js';

export interface DomainInput {
  owner: User;
  /** Unicode or ASCII; a fake `<word>.example` name when omitted. */
  name?: string;
  limits?: Partial<DomainLimits>;
  /** Verified through `domain.verify()` with the TXT record the owner would publish. */
  verified?: boolean;
  now?: Date;
}

/** Mail domains, verified the way DomainService verifies them (from a TXT answer), if asked. */
export class DomainFactory extends ConstructorFactory<Domain, DomainInput> {
  readonly model = Domain;

  constructor(
    em: EntityManager,
    private readonly faker: Faker,
  ) {
    super(em);
  }

  protected build(input: DomainInput): Domain {
    const now = input.now ?? new Date();
    const domain = new Domain({
      name: DomainName.parse(input.name ?? `${this.faker.internet.domainWord()}.example`),
      owner: input.owner,
      ...(input.limits ? { limits: input.limits } : {}),
      now,
    });
    if (input.verified) domain.verify([[domain.verificationRecord.value]], now);
    return domain;
  }
}
