/**
 * Bounded envelopes and batches, and who may send: input past a bound gets its typed error and
 * nothing is written; a large envelope resolves in a bounded number of queries.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ALIAS_DEPTH } from '../../src/domain/alias.js';
import type { MessageInput } from '../../src/domain/message.js';
import { MAX_ENVELOPE_RECIPIENTS } from '../../src/application/mail-service.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase();

async function mailboxOn(options: Parameters<typeof ownerWithDomain>[1] = {}) {
  const { owner, domain } = await ownerWithDomain(db, options);
  const box = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
  return { owner, domain, box };
}

describe('the envelope', () => {
  it(`holds at most ${MAX_ENVELOPE_RECIPIENTS} recipients (Postfix's default); one more is TOO_MANY_RECIPIENTS`, async () => {
    const { domain } = await mailboxOn();
    const recipients = Array.from({ length: MAX_ENVELOPE_RECIPIENTS + 1 }, (_, i) => `r${i}@${domain.name}`);
    await expectRefused(db, 'TOO_MANY_RECIPIENTS', () =>
      db.aether.mail.deliverInbound({ recipients, message: message() }),
    );
  });

  it('of the largest size resolves in a bounded number of queries, however its recipients forward', async () => {
    const { owner, domain, box } = await mailboxOn();
    const second = await db.aether.mailboxes.create(owner.id, { address: `second@${domain.name}` });
    await db.aether.aliases.add(owner.id, { source: `a0@${domain.name}`, destinations: [box.address] });
    await db.aether.aliases.add(owner.id, { source: `a1@${domain.name}`, destinations: [`a0@${domain.name}`] });
    await db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: [`a1@${domain.name}`] });
    // most recipients are unknown (the catch-all takes them, two alias hops from the mailbox)
    const recipients = [
      box.address,
      second.address,
      ...Array.from({ length: MAX_ENVELOPE_RECIPIENTS - 2 }, (_, i) => `r${i}@${domain.name}`),
    ];
    db.queries.length = 0;
    const report = await db.aether.mail.deliverInbound({ recipients, message: message() });
    const statements = db.queries.length;
    expect(report.delivered.map((d) => d.mailboxId).sort()).toEqual([box.id, second.id].sort());
    // begin, lookups (one per alias level), locks, inbox, inserts and updates, the events (their
    // keys' locks, their insert, the relay's wake-up), commit
    expect(statements).toBeLessThanOrEqual(MAX_ALIAS_DEPTH + 13);
    expect(
      await db.sql('select mailbox_id, count(*)::int as n from email group by mailbox_id order by mailbox_id', []),
    ).toEqual([box.id, second.id].sort().map((id) => ({ mailbox_id: id, n: 1 })));
  });
});

describe('a batch for one mailbox', () => {
  it('is refused with INVALID_MESSAGE when empty or sparse, writing nothing', async () => {
    const { box } = await mailboxOn();
    await expectRefused(db, 'INVALID_MESSAGE', () => db.aether.mail.deliverMany(box.address, []));
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [message(), , message()] as MessageInput[];
    await expectRefused(db, 'INVALID_MESSAGE', () => db.aether.mail.deliverMany(box.address, sparse));
    await expectRefused(db, 'INVALID_MESSAGE', () =>
      db.aether.mail.deliverMany(box.address, [message(), null as unknown as MessageInput]),
    );
  });
});

describe('sending', () => {
  const send = (owner: { id: string }, box: { id: string }) =>
    db.aether.mail.send(owner.id, box.id, { to: ['victim@outside.test'], subject: 'Your account', body: 'Log in' });

  it('needs a verified domain: a claim nobody proved sends nothing (DOMAIN_NOT_VERIFIED)', async () => {
    const { owner, box } = await mailboxOn({ verified: false });
    await expectRefused(db, 'DOMAIN_NOT_VERIFIED', () => send(owner, box));
  });

  it('needs an active domain and an active mailbox', async () => {
    const { owner, domain, box } = await mailboxOn();
    await db.aether.domains.suspend(owner.id, domain.id);
    await expectRefused(db, 'DOMAIN_SUSPENDED', () => send(owner, box));
    await db.aether.domains.activate(owner.id, domain.id);
    await db.aether.mailboxes.suspend(owner.id, box.id);
    await expectRefused(db, 'MAILBOX_SUSPENDED', () => send(owner, box));
    await db.aether.mailboxes.activate(owner.id, box.id);
    const { sentId, forwarded } = await send(owner, box);
    expect(forwarded).toEqual(['victim@outside.test']);
    expect(await db.sql('select count(*)::int as n from email where id = $1', [sentId])).toEqual([{ n: 1 }]);
  });

  it('needs an active owner', async () => {
    const { owner, box } = await mailboxOn();
    await db.aether.users.suspend(owner.id);
    await expectRefused(db, 'USER_SUSPENDED', () => send(owner, box));
  });
});
