import type { Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/core';
import { EmailAddress } from '../../domain/email-address.js';
import { User } from '../../domain/user.js';
import { ConstructorFactory } from './constructor-factory.js';

export interface UserInput {
  /** argon2id hash made by the caller: hashing is slow and asynchronous, factories are neither. */
  passwordHash: string;
  email?: string;
  name?: string | null;
  now?: Date;
}

/** Users with a fake name and a login address derived from it, unless the caller fixes them. */
export class UserFactory extends ConstructorFactory<User, UserInput> {
  readonly model = User;

  constructor(
    em: EntityManager,
    private readonly faker: Faker,
  ) {
    super(em);
  }

  protected build(input: UserInput): User {
    const name = input.name === undefined ? this.faker.person.fullName() : input.name;
    const email = input.email ?? this.faker.internet.exampleEmail({ firstName: name ?? undefined });
    return new User({
      email: EmailAddress.parse(email),
      passwordHash: input.passwordHash,
      name,
      ...(input.now ? { now: input.now } : {}),
    });
  }
}
