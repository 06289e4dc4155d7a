/**
 * A consumer of the packed package, as an application developer would write it: it imports only
 * the package's public entry point, against its installed type declarations. `.ci/consumer.sh`
 * packs the project, installs the tarball into a scratch project, type-checks this file there
 * and runs it against PostgreSQL. It exits non-zero on the first thing that is not as documented.
 */
import assert from 'node:assert/strict';
import {
  ConfigurationError,
  DomainError,
  ERROR_CODES,
  Mailbox,
  openAether,
  RuleViolationError,
  SchemaOutdatedError,
  type TxtResolver,
} from 'aether-identity-database';

const records = new Map<string, string[][]>();
const resolveTxt: TxtResolver = async (name) => records.get(name) ?? [];

// an empty database is behind the code: a typed, one-line refusal, not an outage
const outdated = await openAether({ resolveTxt }).then(
  () => assert.fail('an empty database must be refused as outdated'),
  (error: unknown) => error,
);
assert.ok(outdated instanceof SchemaOutdatedError, String(outdated));
assert.ok(outdated instanceof DomainError);
assert.equal(outdated.code, 'SCHEMA_OUTDATED');
assert.ok(ERROR_CODES.includes(outdated.code));
assert.ok(outdated.pending.length > 0);
assert.ok(!outdated.message.includes('\n'));

// open and migrate
const aether = await openAether({ resolveTxt, migrate: true });
try {
  assert.deepEqual(await aether.migrations.pending(), []);
  assert.deepEqual(await aether.migrations.up(), []);

  const jane = await aether.users.register({ email: 'jane@example.com', password: 'a long passphrase', name: 'Jane' });
  const domain = await aether.domains.add(jane.id, { name: 'jane.example' });
  records.set(domain.verificationRecord.name, [[domain.verificationRecord.value]]);
  const verified = await aether.domains.verify(jane.id, domain.id);
  assert.ok(verified.verifiedAt instanceof Date);

  const mailbox = await aether.mailboxes.create(jane.id, { address: 'hello@jane.example' });
  const inbox = mailbox.folders?.find((f) => f.role === 'inbox');
  assert.ok(inbox);

  const report = await aether.mail.deliverInbound({
    recipients: ['hello@jane.example'],
    message: { from: 'a@b.test', to: ['hello@jane.example'], subject: 'Hi', body: 'Hello from a consumer' },
  });
  assert.equal(report.delivered.length, 1);

  const page = await aether.mail.listFolderPage(jane.id, { mailboxId: mailbox.id, folderId: inbox.id, limit: 50 });
  assert.deepEqual(
    page.items.map((e) => e.subject),
    ['Hi'],
  );

  // a typed refusal a consumer catches by class and by code
  const refused = await aether.mail
    .deliverInbound({
      recipients: ['nobody@jane.example'],
      message: { from: 'a@b.test', to: ['nobody@jane.example'], subject: 'Hi', body: '…' },
    })
    .then(
      () => assert.fail('an unknown recipient must be refused'),
      (error: unknown) => error,
    );
  assert.ok(refused instanceof RuleViolationError);
  assert.equal(refused.code, 'NO_SUCH_RECIPIENT');

  // the entity classes, for reads through the ORM
  const em = aether.orm.em.fork();
  assert.equal((await em.findOneOrFail(Mailbox, { id: mailbox.id })).address, 'hello@jane.example');
  assert.equal(typeof ConfigurationError, 'function');
} finally {
  await aether.close();
}
console.log('consumer: open, migrate, register, verify, create a mailbox, deliver, page, typed errors: ok');
