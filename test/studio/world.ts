/** A small world of users, domains, mailboxes, aliases and mail, built through the services. */
import type { TestDatabase } from '../support/test-database.js';
import { PASSWORD } from '../support/world.js';

export async function buildWorld(db: TestDatabase) {
  const { users, domains, mailboxes, aliases, mail } = db.aether;
  const ada = await users.register({ email: 'ada@example.net', password: PASSWORD, name: 'Ada Lovelace' });
  const bob = await users.register({ email: 'bob@example.net', password: PASSWORD, name: 'Bob 100%_real' });
  const carol = await users.register({ email: 'carol@example.com', password: PASSWORD });

  const adaOrg = await domains.add(ada.id, { name: 'ada.org' });
  db.dns.publishTxt(adaOrg.verificationRecord.name, adaOrg.verificationRecord.value);
  await domains.verify(ada.id, adaOrg.id);
  const bobDomain = await domains.add(bob.id, { name: 'bob.test' });

  const alice = await mailboxes.create(ada.id, { address: 'alice@ada.org', quotaBytes: 4096 });
  const info = await mailboxes.create(ada.id, { address: 'info@ada.org' });
  await aliases.add(ada.id, { source: 'hello@ada.org', destinations: ['alice@ada.org'] });

  await mail.deliverInbound({
    recipients: ['alice@ada.org'],
    message: { from: 'grace@navy.mil', to: ['alice@ada.org'], subject: 'Compilers', body: 'a'.repeat(1000) },
  });
  await mail.deliverInbound({
    recipients: ['alice@ada.org', 'info@ada.org'],
    message: {
      from: 'charles@babbage.org',
      to: ['alice@ada.org', 'info@ada.org'],
      subject: 'Engines 50% off',
      body: 'gears',
    },
  });
  return { ada, bob, carol, adaOrg, bobDomain, alice, info };
}
