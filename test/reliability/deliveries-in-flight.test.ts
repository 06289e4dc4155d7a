/**
 * Deletions while mail is in flight, and the lock order. A delivery either stores its copy or is
 * refused with a typed error — never a success that stored nothing, never a raw error — and
 * deleting a user under mail traffic succeeds (deliveries and deletions take their locks in one
 * order: see src/application/locking.ts).
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { useTestDatabase } from '../support/test-database.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 60 });

/** A mailbox, and a sender on another owner's domain (so deleting the mailbox's owner leaves it). */
async function target() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
  const other = await ownerWithDomain(db);
  const sender = await db.aether.mailboxes.create(other.owner.id, { address: `sender@${other.domain.name}` });
  const [inbox] = await db.sql<{ id: string }>(`select id from folder where mailbox_id = $1 and role = 'inbox'`, [
    box.id,
  ]);
  return { owner, domain, box, sender, senderOwner: other.owner, inboxId: inbox!.id };
}

const emailsOf = async (mailboxId: string) =>
  (await db.sql<{ n: number }>('select count(*)::int as n from email where mailbox_id = $1', [mailboxId]))[0]!.n;

type Target = Awaited<ReturnType<typeof target>>;

/** Every way mail reaches a mailbox, aimed at `t.box`. */
const into: Record<string, (t: Target) => Promise<unknown>> = {
  deliverInbound: (t) => db.aether.mail.deliverInbound({ recipients: [t.box.address], message: message() }),
  deliverMany: (t) => db.aether.mail.deliverMany(t.box.address, [message(), message()]),
  'send to it': (t) =>
    db.aether.mail.send(t.senderOwner.id, t.sender.id, { to: [t.box.address], subject: 'x', body: 'y' }),
};

/** The two deletions, of `t.box` alone or of its owner with everything. */
const deletions: Record<string, (t: Target) => Promise<unknown>> = {
  'mailboxes.delete': (t) => db.aether.mailboxes.delete(t.owner.id, t.box.id),
  'users.delete': (t) => db.aether.users.delete(t.owner.id),
};

describe('a deletion between a delivery’s lookup and its lock', () => {
  for (const [way, deliver] of Object.entries(into)) {
    for (const [deletion, remove] of Object.entries(deletions)) {
      it(`${way} during ${deletion}: refused with NO_SUCH_RECIPIENT, nothing stored`, async () => {
        const t = await target();
        // the INBOX row held: the deletion stops at it, holding the mailbox (and owner) it has deleted
        const held = await hold(db, [['select id from folder where id = $1 for update', [t.inboxId]]]);
        const deleting = outcome(remove(t));
        await waitForLockWaiters(db, 1);
        // the delivery finds the mailbox (the deletion is not committed) and waits for its lock
        const delivering = outcome(deliver(t));
        await waitForLockWaiters(db, 2);
        await held.commit();
        expect(await deleting).toMatchObject({ ok: true });
        const result = await delivering;
        expect(result).toMatchObject({ ok: false, code: 'NO_SUCH_RECIPIENT' });
        expect(await emailsOf(t.box.id)).toBe(0);
        // nothing else of the refused unit of work either (send would have stored a sent copy)
        expect(await emailsOf(t.sender.id)).toBe(0);
      });
    }
  }

  it('send from a mailbox being deleted: refused with NOT_FOUND, nothing stored', async () => {
    const t = await target();
    const [senderInbox] = await db.sql<{ id: string }>(
      `select id from folder where mailbox_id = $1 and role = 'inbox'`,
      [t.sender.id],
    );
    const held = await hold(db, [['select id from folder where id = $1 for update', [senderInbox!.id]]]);
    const deleting = outcome(db.aether.mailboxes.delete(t.senderOwner.id, t.sender.id));
    await waitForLockWaiters(db, 1);
    const sending = outcome(
      db.aether.mail.send(t.senderOwner.id, t.sender.id, { to: [t.box.address], subject: 's', body: 'b' }),
    );
    await waitForLockWaiters(db, 2);
    await held.commit();
    expect(await deleting).toMatchObject({ ok: true });
    expect(await sending).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await emailsOf(t.box.id)).toBe(0);
  });

  for (const [way, deliver] of Object.entries(into)) {
    it(
      `${way} racing mailboxes.delete, 20 unsynchronised tries: a copy stored or a typed refusal, never a silent success`,
      { timeout: 300_000 },
      async () => {
        for (let i = 0; i < 20; i++) {
          const t = await target();
          const [delivered, deleted] = await Promise.all([
            outcome(deliver(t)),
            outcome(db.aether.mailboxes.delete(t.owner.id, t.box.id)),
          ]);
          expect(deleted).toMatchObject({ ok: true });
          if (delivered.ok) {
            // it committed before the deletion, which then took its copy away with the mailbox; or
            // (send) it came after, and the address, no longer ours, went to the outbound relay
            const report = delivered.value as { delivered?: unknown[]; emailIds?: unknown[]; forwarded?: string[] };
            const stored = (report.delivered ?? report.emailIds ?? []).length;
            expect(stored > 0 || (report.forwarded ?? []).includes(t.box.address)).toBe(true);
          } else {
            expect(delivered.error).toBeInstanceOf(DomainError);
            expect(delivered.code).toBe('NO_SUCH_RECIPIENT');
          }
        }
      },
    );
  }
});

describe('lock order: deleting a user under mail traffic', () => {
  it('deterministically: a delivery holding its mailbox and a deletion of its owner both finish', async () => {
    const t = await target();
    // the delivery stops at its email's INSERT (the foreign key needs the INBOX row), holding its
    // mailbox; then the deletion of the owner starts
    const held = await hold(db, [['select id from folder where id = $1 for update', [t.inboxId]]]);
    const delivering = outcome(into.deliverInbound!(t));
    await waitForLockWaiters(db, 1);
    const deleting = outcome(db.aether.users.delete(t.owner.id));
    await waitForLockWaiters(db, 2);
    await held.commit();
    const [delivered, deleted] = await Promise.all([delivering, deleting]);
    expect(delivered).toMatchObject({ ok: true });
    expect(deleted).toMatchObject({ ok: true });
    expect(await db.sql('select id from "user" where id = $1', [t.owner.id])).toEqual([]);
    expect(await emailsOf(t.box.id)).toBe(0);
  });

  // bursts of many units of work: generous bounds, so a loaded machine is slow rather than red
  it(
    '24 rounds of deliveries to three mailboxes with users.delete among them: the deletion succeeds every time',
    { timeout: 300_000 },
    async () => {
      for (let round = 0; round < 24; round++) {
        const { owner, domain } = await ownerWithDomain(db);
        const boxes = await Promise.all(
          ['a', 'b', 'c'].map((l) => db.aether.mailboxes.create(owner.id, { address: `${l}@${domain.name}` })),
        );
        const deliveries = Array.from({ length: 12 }, (_, i) =>
          outcome(
            db.aether.mail.deliverInbound({
              recipients: [boxes[i % 3]!.address, boxes[(i + 1) % 3]!.address],
              message: message({ subject: `r${round}-${i}` }),
            }),
          ),
        );
        const deleted = await outcome(db.aether.users.delete(owner.id));
        expect(deleted, `round ${round}`).toMatchObject({ ok: true });
        for (const d of await Promise.all(deliveries)) {
          if (d.ok) expect((d.value as { delivered: unknown[] }).delivered).toHaveLength(2);
          else expect(d.code).toBe('NO_SUCH_RECIPIENT');
        }
        expect(await db.sql('select id from address where domain_id = $1', [domain.id])).toEqual([]);
      }
    },
  );
});
