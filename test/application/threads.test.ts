import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasReplyPrefix, normalizeSubject, threadKeysOf } from '../../src/domain/thread.js';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 40 });

async function mailboxes(count = 1) {
  const { owner, domain } = await ownerWithDomain(db, { limits: { maxMailboxes: 0 } });
  const boxes = [];
  for (let i = 0; i < count; i++) {
    const box = await db.aether.mailboxes.create(owner.id, { address: `t${i}@${domain.name}` });
    const folders = (await db.aether.mailboxes.get(owner.id, box.id)).folders!;
    const folder = (role: string) => folders.find((f) => f.role === role)!.id;
    boxes.push({ ...box, inbox: folder('inbox'), archive: folder('archive') });
  }
  return { owner, domain, boxes };
}

/** A raw message with the threading headers given. */
function raw(m: { id: string; subject: string; to: string; inReplyTo?: string; references?: string[] }): Buffer {
  return Buffer.from(
    [
      'From: someone@outside.test',
      `To: ${m.to}`,
      `Subject: ${m.subject}`,
      `Message-ID: <${m.id}>`,
      ...(m.inReplyTo ? [`In-Reply-To: <${m.inReplyTo}>`] : []),
      ...(m.references ? [`References: ${m.references.map((r) => `<${r}>`).join(' ')}`] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      `body of ${m.id}`,
    ].join('\r\n'),
  );
}

async function deliver(to: string, m: Parameters<typeof raw>[0] extends infer T ? Omit<T, 'to'> : never) {
  const { delivered } = await db.aether.mail.deliverInbound({ recipients: [to], message: raw({ ...m, to }) });
  return delivered[0]!.emailId;
}

/** The thread of each email of a mailbox, read from the table. */
async function threadsOf(mailboxId: string) {
  const rows = await db.sql<{ id: string; message_id: string; thread_id: string }>(
    `select id, message_id, thread_id from email where mailbox_id = $1`,
    [mailboxId],
  );
  return new Map(rows.map((r) => [r.message_id.replace(/[<>]/g, ''), r.thread_id]));
}

describe('the thread rule', () => {
  it('normalises subjects: prefixes and list tags go, case and white space fold', () => {
    expect(normalizeSubject('Re: RE: [list] Fwd:  Hello   World ')).toBe('hello world');
    expect(normalizeSubject('AW: Sv: WG: Re[3]: Tr: Antw: Plan')).toBe('plan');
    expect(normalizeSubject('Reply about Fwd: things')).toBe('reply about fwd: things');
    expect(hasReplyPrefix('[list] Re: x')).toBe(true);
    expect(hasReplyPrefix('[list] x')).toBe(false);
    expect(hasReplyPrefix('Regarding: x')).toBe(false);
    fc.assert(
      fc.property(fc.string(), (s) => {
        const once = normalizeSubject(s);
        expect(normalizeSubject(once)).toBe(once);
      }),
    );
  });

  it('links by the own id, In-Reply-To and the last References, at most 50 ids', () => {
    const refs = Array.from({ length: 80 }, (_, i) => `<r${i}@x>`).join(' ');
    const keys = threadKeysOf({ messageId: '<me@x>', subject: 'Re: Hi', inReplyTo: '<r79@x>', references: refs });
    expect(keys.references[0]).toBe('me@x');
    expect(keys.references[1]).toBe('r79@x');
    expect(keys.references).toHaveLength(50);
    expect(keys.references).toContain('r31@x');
    expect(keys.references).not.toContain('r29@x');
    expect(keys.subject).toBe('subject hi');
    expect(keys.reply).toBe(true);
  });
});

describe('threads at delivery', () => {
  it('a reply delivered before its parent, and the parent after it, end in one thread', async () => {
    const { boxes } = await mailboxes();
    const box = boxes[0]!;
    const reply = await deliver(box.address, {
      id: 'reply@a.test',
      subject: 'Re: Plans',
      inReplyTo: 'parent@a.test',
      references: ['parent@a.test'],
    });
    const parent = await deliver(box.address, { id: 'parent@a.test', subject: 'Plans' });
    const threads = await threadsOf(box.id);
    expect(threads.get('parent@a.test')).toBe(threads.get('reply@a.test'));
    const view = await db.aether.store.thread({ mailboxId: box.id, emailId: parent });
    expect(view.threadId).toBe(threads.get('parent@a.test'));
    expect(view.emails.map((e) => e.emailId)).toEqual([reply, parent]);
    const [fetched] = await db.aether.store.fetch({ mailboxId: box.id, folderId: box.inbox, uids: '2' });
    expect(fetched!.threadId).toBe(view.threadId);
  });

  it('the same subject without references starts a thread of its own; a reply by subject joins', async () => {
    const { boxes } = await mailboxes();
    const box = boxes[0]!;
    await deliver(box.address, { id: 'one@b.test', subject: 'Lunch' });
    await deliver(box.address, { id: 'two@b.test', subject: 'Lunch' });
    // no headers, but a reply prefix (and a list tag): the subject rule joins the latest "lunch"
    await deliver(box.address, { id: 'three@b.test', subject: '[team] RE:  lunch' });
    // references to nothing here: a reply, so the subject rule applies too
    await deliver(box.address, { id: 'four@b.test', subject: 'Re: Lunch', inReplyTo: 'gone@b.test' });
    // a different subject with a reply prefix and nothing to join: its own thread
    await deliver(box.address, { id: 'five@b.test', subject: 'Re: Dinner' });
    const threads = await threadsOf(box.id);
    expect(threads.get('one@b.test')).not.toBe(threads.get('two@b.test'));
    expect(threads.get('three@b.test')).toBe(threads.get('two@b.test'));
    expect(threads.get('four@b.test')).toBe(threads.get('two@b.test'));
    expect(new Set(threads.values()).size).toBe(3);
  });

  it('never spans mailboxes: the same conversation in two mailboxes is two threads', async () => {
    const { boxes } = await mailboxes(2);
    const [a, b] = boxes;
    const to = [a!.address, b!.address];
    for (const m of [
      { id: 'p@c.test', subject: 'Shared' },
      { id: 'q@c.test', subject: 'Re: Shared', inReplyTo: 'p@c.test' },
    ]) {
      await db.aether.mail.deliverInbound({ recipients: to, message: raw({ ...m, to: to.join(', ') }) });
    }
    const ta = await threadsOf(a!.id);
    const tb = await threadsOf(b!.id);
    expect(ta.get('p@c.test')).toBe(ta.get('q@c.test'));
    expect(tb.get('p@c.test')).toBe(tb.get('q@c.test'));
    expect(ta.get('p@c.test')).not.toBe(tb.get('p@c.test'));
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.store.thread({ mailboxId: b!.id, threadId: ta.get('p@c.test')! }),
    );
  });

  it('a message that links two threads merges them into the oldest, journalled as changes', async () => {
    const { boxes } = await mailboxes();
    const box = boxes[0]!;
    await deliver(box.address, { id: 'x@d.test', subject: 'X' });
    await deliver(box.address, { id: 'x2@d.test', subject: 'Re: X', inReplyTo: 'x@d.test' });
    await deliver(box.address, { id: 'y@d.test', subject: 'Y' });
    const before = await threadsOf(box.id);
    const { highestModseq } = await db.aether.store.selectFolder({ mailboxId: box.id, folderId: box.inbox });
    await deliver(box.address, { id: 'z@d.test', subject: 'Re: Y', references: ['x@d.test', 'y@d.test'] });
    const after = await threadsOf(box.id);
    expect(new Set(after.values())).toEqual(new Set([before.get('x@d.test')]));
    // the moved email (y) changed under the delivery's modseq; the journal says so
    const changes = await db.aether.store.changesSince({ mailboxId: box.id, modseq: highestModseq });
    expect(changes.folders[box.inbox]).toEqual({ added: [4], changed: [3], expunged: [] });
    const [y] = await db.sql<{ modseq: string }>(`select modseq from email where message_id = '<y@d.test>'`);
    expect(Number(y!.modseq)).toBe(changes.highestModseq);
  });

  it('threads every creating path: a batch in reverse order, a message sent to oneself, append and copy', async () => {
    const { owner, boxes } = await mailboxes();
    const box = boxes[0]!;
    const chain = Array.from({ length: 6 }, (_, i) => ({
      id: `c${i}@e.test`,
      subject: i === 0 ? 'Chain' : 'Re: Chain',
      ...(i > 0 ? { inReplyTo: `c${i - 1}@e.test` } : {}),
    }));
    await db.aether.mail.deliverMany(
      box.address,
      [...chain].reverse().map((m) => raw({ ...m, to: box.address })),
    );
    const sent = await db.aether.mail.send(owner.id, box.id, { to: [box.address], subject: 'Note to self', body: 'x' });
    const appended = await db.aether.store.append({
      mailboxId: box.id,
      folderId: box.archive,
      raw: raw({ id: 'c6@e.test', subject: 'Re: Chain', inReplyTo: 'c5@e.test', to: box.address }),
    });
    await db.aether.store.copy({ mailboxId: box.id, folderId: box.inbox, uids: '1', targetFolderId: box.archive });
    const rows = await db.sql<{ id: string; message_id: string; thread_id: string }>(
      `select id, message_id, thread_id from email where mailbox_id = $1`,
      [box.id],
    );
    const chainThreads = new Set(rows.filter((r) => r.message_id.includes('@e.test')).map((r) => r.thread_id));
    expect(chainThreads.size).toBe(1);
    expect(rows.filter((r) => r.message_id.includes('@e.test'))).toHaveLength(8);
    const self = rows.filter((r) => !r.message_id.includes('@e.test'));
    expect(self).toHaveLength(2);
    expect(self[0]!.thread_id).toBe(self[1]!.thread_id);
    expect(self.map((r) => r.id)).toContain(sent.sentId);
    expect(rows.find((r) => r.id === appended.emailId)!.thread_id).toBe([...chainThreads][0]);
    const page = await db.aether.mail.listFolderPage(owner.id, { mailboxId: box.id, folderId: box.inbox });
    expect(page.items.every((i) => rows.find((r) => r.id === i.id)!.thread_id === i.threadId)).toBe(true);
  });

  it('a batch of more keys than it probes one by one finds stored threads by reference and by subject, and its own', async () => {
    const { boxes } = await mailboxes(1);
    const [box] = boxes;
    const to = box!.address;
    await deliver(to, { id: 'root@big.test', subject: 'Quarterly plan' });
    // 70 stored topics, then a batch with a reply by subject to each (more than 64 subject keys)
    await db.aether.mail.deliverMany(
      to,
      Array.from({ length: 70 }, (_, i) => raw({ id: `topic${i}@big.test`, subject: `Topic ${i}`, to })),
    );
    const batch = [
      ...Array.from({ length: 70 }, (_, i) => raw({ id: `re${i}@big.test`, subject: `Re: Topic ${i}`, to })),
      raw({ id: 'child@big.test', subject: 'Re: Quarterly plan', to, inReplyTo: 'root@big.test' }),
      raw({ id: 'first@big.test', subject: 'News', to }),
      raw({ id: 'second@big.test', subject: 'Re: News', to, inReplyTo: 'first@big.test' }),
    ];
    await db.aether.mail.deliverMany(to, batch);
    const threads = await threadsOf(box!.id);
    for (let i = 0; i < 70; i++) expect(threads.get(`re${i}@big.test`)).toBe(threads.get(`topic${i}@big.test`));
    expect(threads.get('child@big.test')).toBe(threads.get('root@big.test'));
    expect(threads.get('second@big.test')).toBe(threads.get('first@big.test'));
    // root, 70 topics and News: every other email joined one of them
    expect(new Set(threads.values()).size).toBe(72);
  });

  it('a reply and its parent waiting on the same mailbox lock end in one thread', async () => {
    const { boxes } = await mailboxes();
    const box = boxes[0]!;
    const held = await hold(db, [['select 1 from address where id = $1 for update', [box.id]]]);
    const both = Promise.allSettled([
      deliver(box.address, { id: 'kid@f.test', subject: 'Re: Q', inReplyTo: 'mum@f.test' }),
      deliver(box.address, { id: 'mum@f.test', subject: 'Q' }),
    ]);
    await waitForLockWaiters(db, 2);
    await held.commit();
    expect((await both).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const threads = await threadsOf(box.id);
    expect(threads.get('kid@f.test')).toBe(threads.get('mum@f.test'));
  });

  it('a chain delivered at once in random order ends in one thread, every time', async () => {
    const { boxes } = await mailboxes();
    const box = boxes[0]!;
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 10 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })),
          ),
        fc.boolean(),
        async ([n, order], withReferences) => {
          const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
          const id = (i: number) => `m${i}.${run}@g.test`;
          const results = await Promise.allSettled(
            order.map((i) =>
              deliver(box.address, {
                id: id(i),
                subject: i === 0 ? `Chain ${run}` : `Re: Chain ${run}`,
                ...(i > 0 ? { inReplyTo: id(i - 1) } : {}),
                ...(i > 0 && withReferences ? { references: [...Array(i).keys()].map(id) } : {}),
              }),
            ),
          );
          expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
          const threads = await threadsOf(box.id);
          const mine = [...Array(n).keys()].map((i) => threads.get(id(i)));
          expect(mine.every(Boolean)).toBe(true);
          expect(new Set(mine).size).toBe(1);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('refuses a thread named both ways or neither, and an unknown thread, writing nothing', async () => {
    const { boxes } = await mailboxes();
    const box = boxes[0]!;
    const id = await deliver(box.address, { id: 'solo@h.test', subject: 'Solo' });
    await expectRefused(db, 'INVALID_SEARCH', () => db.aether.store.thread({ mailboxId: box.id }));
    await expectRefused(db, 'INVALID_SEARCH', () =>
      db.aether.store.thread({ mailboxId: box.id, emailId: id, threadId: id }),
    );
    await expectRefused(db, 'NOT_FOUND', () =>
      db.aether.store.thread({ mailboxId: box.id, threadId: '00000000-0000-7000-8000-000000000000' }),
    );
  });
});
