/**
 * The forwarding graph never holds a loop: no interleaving of alias creations, changes, removals
 * and mailbox deletions commits one (they all serialise on the alias-graph lock and check the
 * graph as committed), and mail into a loop that foreign data made is refused, never accepted
 * with nowhere to go.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { hold, outcome, waitForLockWaiters } from '../support/interleave.js';
import { expectRefused, message, ownerWithDomain } from '../support/world.js';

const db = useTestDatabase({ poolMax: 40 });

/** Every cycle in the committed forwarding graph (aliases, with catch-alls taking unknown local addresses). */
async function cycles(): Promise<string[][]> {
  const rows = await db.sql<{ address: string; kind: string; destinations: string[] | null }>(
    'select address, kind, destinations from address',
  );
  const entries = new Map(rows.map((r) => [r.address, r]));
  const entryFor = (a: string) => entries.get(a) ?? entries.get(`@${a.slice(a.lastIndexOf('@') + 1)}`);
  const found: string[][] = [];
  const walk = (path: string[]) => {
    const here = entries.get(path.at(-1)!)!;
    if (here.kind !== 'alias') return;
    for (const destination of here.destinations ?? []) {
      const next = entryFor(destination);
      if (!next) continue;
      if (next.address === path[0]) found.push([...path, next.address]);
      else if (!path.includes(next.address) && path.length < 50) walk([...path, next.address]);
    }
  };
  for (const r of rows) if (r.kind === 'alias') walk([r.address]);
  return found;
}

async function domainWithMailbox() {
  const { owner, domain } = await ownerWithDomain(db);
  const box = await db.aether.mailboxes.create(owner.id, { address: `box@${domain.name}` });
  return { owner, domain, box };
}

describe('two changes that together would close a loop', () => {
  it('deterministically: both checked before either commits, the later is refused with ALIAS_LOOP', async () => {
    const { owner, domain, box } = await domainWithMailbox();
    const a = await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: [box.address] });
    const b = await db.aether.aliases.add(owner.id, { source: `b@${domain.name}`, destinations: [box.address] });
    // both rows held: each change stops at its UPDATE, after whatever checking it does first
    const held = await hold(db, [['select id from address where id in ($1, $2) for update', [a.id, b.id]]]);
    const first = outcome(db.aether.aliases.changeDestinations(owner.id, a.id, [b.address]));
    const second = outcome(db.aether.aliases.changeDestinations(owner.id, b.id, [a.address]));
    await waitForLockWaiters(db, 2);
    await held.commit();
    const results = await Promise.all([first, second]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(['ALIAS_LOOP']);
    expect(await cycles()).toEqual([]);
  });

  it(
    'as an unsynchronised burst of 10 pairs: one of each pair wins, no loop committed',
    { timeout: 300_000 },
    async () => {
      const { owner, domain, box } = await domainWithMailbox();
      const pairs = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const a = await db.aether.aliases.add(owner.id, {
            source: `p${i}@${domain.name}`,
            destinations: [box.address],
          });
          const b = await db.aether.aliases.add(owner.id, {
            source: `q${i}@${domain.name}`,
            destinations: [box.address],
          });
          return [a, b] as const;
        }),
      );
      const results = await Promise.all(
        pairs.map(([a, b]) =>
          Promise.all([
            outcome(db.aether.aliases.changeDestinations(owner.id, a.id, [b.address])),
            outcome(db.aether.aliases.changeDestinations(owner.id, b.id, [a.address])),
          ]),
        ),
      );
      for (const pair of results) {
        expect(pair.filter((r) => r.ok)).toHaveLength(1);
        expect(pair.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(['ALIAS_LOOP']);
      }
      expect(await cycles()).toEqual([]);
    },
  );

  it('across two domains of two owners, two creations (p@x → q@y, q@y → p@x): one is refused', async () => {
    const x = await ownerWithDomain(db);
    const y = await ownerWithDomain(db);
    const p = `p@${x.domain.name}`;
    const q = `q@${y.domain.name}`;
    // uncommitted rows with the same addresses: each creation stops at its INSERT (the unique key
    // waits for this transaction), after whatever checking it does first; the rollback lets them on
    const insert = `insert into address (id, kind, address, domain_id, owner_id, domain_name, created_at, destinations, version)
                    values ($1, 'alias', $2, $3, (select owner_id from domain where id = $3), (select name from domain where id = $3), now(), '{nobody@outside.test}', 1)`;
    const held = await hold(db, [
      [insert, [randomUUID(), p, x.domain.id]],
      [insert, [randomUUID(), q, y.domain.id]],
    ]);
    const first = outcome(db.aether.aliases.add(x.owner.id, { source: p, destinations: [q] }));
    const second = outcome(db.aether.aliases.add(y.owner.id, { source: q, destinations: [p] }));
    await waitForLockWaiters(db, 2);
    await held.rollback();
    const results = await Promise.all([first, second]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(['ALIAS_LOOP']);
    expect(await cycles()).toEqual([]);
  });

  it('as a burst across domains: creations in both directions never commit a loop', async () => {
    const x = await ownerWithDomain(db);
    const y = await ownerWithDomain(db);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => [
        outcome(
          db.aether.aliases.add(x.owner.id, {
            source: `r${i}@${x.domain.name}`,
            destinations: [`s${i}@${y.domain.name}`],
          }),
        ),
        outcome(
          db.aether.aliases.add(y.owner.id, {
            source: `s${i}@${y.domain.name}`,
            destinations: [`r${i}@${x.domain.name}`],
          }),
        ),
      ]).flat(),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(new Set(results.filter((r) => !r.ok).map((r) => !r.ok && r.code))).toEqual(new Set(['ALIAS_LOOP']));
    expect(await cycles()).toEqual([]);
  });
});

describe('removals that would hand an address to a catch-all that forwards back', () => {
  /** @d → a@d → b@d, with b@d a mailbox or an alias to the outside. */
  async function chain(kind: 'mailbox' | 'alias') {
    const { owner, domain } = await ownerWithDomain(db);
    const b =
      kind === 'mailbox'
        ? await db.aether.mailboxes.create(owner.id, { address: `b@${domain.name}` })
        : await db.aether.aliases.add(owner.id, { source: `b@${domain.name}`, destinations: ['far@outside.test'] });
    await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: [`b@${domain.name}`] });
    await db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: [`a@${domain.name}`] });
    return { owner, domain, b };
  }

  it('aliases.remove refuses with ALIAS_LOOP and writes nothing', async () => {
    const { owner, b } = await chain('alias');
    await expectRefused(db, 'ALIAS_LOOP', () => db.aether.aliases.remove(owner.id, b.id));
    expect(await cycles()).toEqual([]);
  });

  it('mailboxes.delete refuses with ALIAS_LOOP and writes nothing', async () => {
    const { owner, b } = await chain('mailbox');
    await expectRefused(db, 'ALIAS_LOOP', () => db.aether.mailboxes.delete(owner.id, b.id));
    expect(await cycles()).toEqual([]);
  });

  it('the same removal goes through once the alias forwarding to it is changed', async () => {
    const { owner, domain, b } = await chain('mailbox');
    const keep = await db.aether.mailboxes.create(owner.id, { address: `keep@${domain.name}` });
    const [a] = (await db.aether.aliases.list(owner.id, domain.id)).filter((x) => x.address.startsWith('a@'));
    await db.aether.aliases.changeDestinations(owner.id, a!.id, [keep.address]);
    await db.aether.mailboxes.delete(owner.id, b.id);
    expect(await db.sql('select 1 from address where id = $1', [b.id])).toEqual([]);
    expect(await cycles()).toEqual([]);
  });

  it(
    'a removal racing a change that would make it close a loop: never a committed loop',
    { timeout: 300_000 },
    async () => {
      for (let round = 0; round < 5; round++) {
        const { owner, domain } = await ownerWithDomain(db);
        const b = await db.aether.mailboxes.create(owner.id, { address: `b@${domain.name}` });
        const a = await db.aether.aliases.add(owner.id, {
          source: `a@${domain.name}`,
          destinations: ['far@outside.test'],
        });
        await db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: [`a@${domain.name}`] });
        const results = await Promise.all([
          outcome(db.aether.aliases.changeDestinations(owner.id, a.id, [b.address])),
          outcome(db.aether.mailboxes.delete(owner.id, b.id)),
        ]);
        for (const r of results) if (!r.ok) expect(r.code).toBe('ALIAS_LOOP');
        expect(await cycles()).toEqual([]);
      }
    },
  );
});

describe('delivery into a loop that foreign data made', () => {
  it('two aliases forwarding to each other: refused with ALIAS_LOOP, nothing stored', async () => {
    const { owner, domain, box } = await domainWithMailbox();
    const a = await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: [box.address] });
    await db.aether.aliases.add(owner.id, { source: `b@${domain.name}`, destinations: [a.address] });
    await db.sql('update address set destinations = $1 where id = $2', [[`b@${domain.name}`], a.id]);
    await expectRefused(db, 'ALIAS_LOOP', () =>
      db.aether.mail.deliverInbound({ recipients: [a.address], message: message() }),
    );
  });

  it('a catch-all in the loop: mail for any unknown address of the domain is refused, nothing stored', async () => {
    const { owner, domain, box } = await domainWithMailbox();
    const a = await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: [box.address] });
    await db.aether.aliases.addCatchAll(owner.id, { domain: domain.name, destinations: [a.address] });
    await db.sql('update address set destinations = $1 where id = $2', [[`gone@${domain.name}`], a.id]);
    for (const recipient of [`unknown@${domain.name}`, a.address]) {
      await expectRefused(db, 'ALIAS_LOOP', () =>
        db.aether.mail.deliverInbound({ recipients: [recipient], message: message() }),
      );
    }
  });

  it('a loop with a way out still delivers to the mailbox it reaches', async () => {
    const { owner, domain, box } = await domainWithMailbox();
    const a = await db.aether.aliases.add(owner.id, { source: `a@${domain.name}`, destinations: [box.address] });
    const b = await db.aether.aliases.add(owner.id, { source: `b@${domain.name}`, destinations: [a.address] });
    await db.sql('update address set destinations = $1 where id = $2', [[b.address, box.address], a.id]);
    const report = await db.aether.mail.deliverInbound({ recipients: [b.address], message: message() });
    expect(report.delivered.map((d) => d.mailboxId)).toEqual([box.id]);
    expect(await db.sql('select count(*)::int as n from email where mailbox_id = $1', [box.id])).toEqual([{ n: 1 }]);
  });
});
