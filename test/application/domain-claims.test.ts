/**
 * Squatting (issue 12, item 9): a domain name belongs to whoever proves control of it through
 * DNS. An unverified claim blocks no one; verifying releases every other claim of the name with
 * all that hangs on it; a verified name is DOMAIN_TAKEN for everyone else.
 */
import { describe, expect, it } from 'vitest';
import { domainNameLockKey } from '../../src/application/domain-claims.js';
import { isDomainError } from '../../src/domain/errors.js';
import { hold, waitForLockWaiters } from '../support/interleave.js';
import { useTestDatabase } from '../support/test-database.js';
import { expectRefused, ownerWithDomain, registerUser } from '../support/world.js';

const db = useTestDatabase();

let names = 0;
const freshName = () => `claimed-${process.pid.toString(36)}-${names++}.example`;

/** A user's unverified claim of `name`, with its TXT record already published. */
async function claim(name: string) {
  const owner = await registerUser(db);
  const domain = await db.aether.domains.add(owner.id, { name });
  db.dns.publishTxt(domain.name, domain.verificationRecord.value);
  return { owner, domain };
}

const claimsOf = (name: string) =>
  db.sql<{ id: string; owner_id: string; verified: boolean }>(
    'select id, owner_id, verified from domain where name = $1 order by id',
    [name],
  );

/** What hangs on a claim: its addresses, and the folders and email of its mailboxes. */
async function heldBy(domainId: string) {
  const [row] = await db.sql<{ addresses: number; folders: number; emails: number }>(
    `select (select count(*)::int from address where domain_id = $1) as addresses,
            (select count(*)::int from folder f join address a on a.id = f.mailbox_id where a.domain_id = $1) as folders,
            (select count(*)::int from email e join address a on a.id = e.mailbox_id where a.domain_id = $1) as emails`,
    [domainId],
  );
  return row!;
}

const lockName = (name: string) =>
  hold(db, [['select pg_advisory_xact_lock(hashtextextended($1, 0))', [domainNameLockKey(name)]]]);

describe('an unverified claim of a name', () => {
  it('blocks no one: the user who proves control verifies, and the squatter’s claim is released with all it holds', async () => {
    const name = freshName();
    const squatter = await registerUser(db);
    const squat = await db.aether.domains.add(squatter.id, { name });
    const squatBox = await db.aether.mailboxes.create(squatter.id, { address: `postmaster@${name}` });
    await db.aether.aliases.add(squatter.id, { source: `abuse@${name}`, destinations: ['x@outside.test'] });
    await db.aether.aliases.addCatchAll(squatter.id, { domain: name, destinations: [squatBox.address] });
    // an unverified claim receives no mail; email written by anything else still goes with the claim
    await db.sql(
      `insert into message (mailbox_id, owner_id, content_hash, raw, size_bytes, envelope, structure, attachments, created_at)
       select a.id, a.owner_id, encode(sha256('Hi'::bytea), 'hex'), 'Hi'::bytea, 2, '{}', '{}', '[]', now()
         from address a where a.id = $1`,
      [squatBox.id],
    );
    await db.sql(`update folder set uid_next = 3 where mailbox_id = $1 and role = 'inbox'`, [squatBox.id]);
    await db.sql(
      `insert into email (mailbox_id, id, folder_id, user_id, content_hash, uid, modseq, message_id, subject, from_address,
         to_addresses, cc_addresses, body, size_bytes, seen, flagged, answered, draft, received_at, created_at)
       select a.id, gen_random_uuid(), f.id, d.owner_id, encode(sha256('Hi'::bytea), 'hex'), n, 1,
              '<m' || n || '@outside.test>', 'Hello', 'a@outside.test',
              '{}', '{}', 'Hi', 2, false, false, false, false, now(), now()
         from address a join folder f on f.mailbox_id = a.id and f.role = 'inbox' join domain d on d.id = a.domain_id,
              generate_series(1, 2) n
        where a.id = $1`,
      [squatBox.id],
    );
    expect(await heldBy(squat.id)).toEqual({ addresses: 3, folders: 6, emails: 2 });

    const owner = await registerUser(db);
    const real = await db.aether.domains.add(owner.id, { name });
    // addresses stay unique across claims: the squatter's blocks the owner's until verification
    await expectRefused(db, 'ADDRESS_TAKEN', () =>
      db.aether.mailboxes.create(owner.id, { address: `postmaster@${name}` }),
    );
    const info = await db.aether.mailboxes.create(owner.id, { address: `info@${name}` });
    expect((await db.sql('select domain_id from address where id = $1', [info.id]))[0]).toEqual({ domain_id: real.id });

    db.dns.publishTxt(name, real.verificationRecord.value);
    expect(await db.aether.domains.verify(owner.id, real.id)).toMatchObject({ id: real.id, verified: true });

    expect(await claimsOf(name)).toEqual([{ id: real.id, owner_id: owner.id, verified: true }]);
    expect(await heldBy(squat.id)).toEqual({ addresses: 0, folders: 0, emails: 0 });
    expect(await db.sql('select 1 from address where id = $1', [squatBox.id])).toEqual([]);
    expect(await heldBy(real.id)).toEqual({ addresses: 1, folders: 6, emails: 0 });
    expect(await db.sql('select count(*)::int as n from "user" where id = $1', [squatter.id])).toEqual([{ n: 1 }]);
    // the address is free for the owner now, and the squatter's released claim is gone
    await db.aether.mailboxes.create(owner.id, { address: `postmaster@${name}` });
    await expectRefused(db, 'NOT_FOUND', () => db.aether.domains.get(squatter.id, squat.id));
  });

  it('each claimant builds on their own claim, found by name; someone without a claim is NOT_OWNER', async () => {
    const name = freshName();
    const [b, c] = [await claim(name), await claim(name)];
    const boxB = await db.aether.mailboxes.create(b.owner.id, { address: `b@${name}` });
    const aliasC = await db.aether.aliases.add(c.owner.id, { source: `c@${name}`, destinations: ['x@outside.test'] });
    const rows = await db.sql<{ id: string; domain_id: string }>(
      'select id, domain_id from address where id = any($1)',
      [[boxB.id, aliasC.id]],
    );
    expect(new Map(rows.map((r) => [r.id, r.domain_id]))).toEqual(
      new Map([
        [boxB.id, b.domain.id],
        [aliasC.id, c.domain.id],
      ]),
    );
    const stranger = await registerUser(db);
    await expectRefused(db, 'NOT_OWNER', () => db.aether.mailboxes.create(stranger.id, { address: `s@${name}` }));
  });
});

describe('releasing the other claims of a name', () => {
  it('is refused (ALIAS_LOOP, nothing written) when their addresses would fall to a catch-all forwarding round a loop', async () => {
    const name = freshName();
    const squatter = await claim(name);
    await db.aether.mailboxes.create(squatter.owner.id, { address: `p@${name}` });
    const owner = await claim(name);
    // a@x → p@x (the squatter's mailbox today), and the catch-all @x → a@x: no loop while p@x is a mailbox
    const a = await db.aether.aliases.add(owner.owner.id, { source: `a@${name}`, destinations: [`p@${name}`] });
    await db.aether.aliases.addCatchAll(owner.owner.id, { domain: name, destinations: [`a@${name}`] });
    // releasing p@x would make it fall to @x: a@x → p@x → @x → a@x
    await expectRefused(db, 'ALIAS_LOOP', () => db.aether.domains.verify(owner.owner.id, owner.domain.id));
    expect((await claimsOf(name)).map((c) => c.verified)).toEqual([false, false]);
    await db.aether.aliases.changeDestinations(owner.owner.id, a.id, ['someone@outside.test']);
    expect(await db.aether.domains.verify(owner.owner.id, owner.domain.id)).toMatchObject({ verified: true });
    expect(await claimsOf(name)).toEqual([{ id: owner.domain.id, owner_id: owner.owner.id, verified: true }]);
  });
});

describe('a verified name', () => {
  it('is its owner’s: adding it again, in any spelling, by anyone, is DOMAIN_TAKEN and writes nothing', async () => {
    const name = freshName();
    const { owner, domain } = await ownerWithDomain(db, { name });
    const other = await registerUser(db);
    for (const spelling of [name, name.toUpperCase(), `${name}.`]) {
      await expectRefused(db, 'DOMAIN_TAKEN', () => db.aether.domains.add(other.id, { name: spelling }));
      await expectRefused(db, 'DOMAIN_TAKEN', () => db.aether.domains.add(owner.id, { name: spelling }));
    }
    expect(await claimsOf(name)).toEqual([{ id: domain.id, owner_id: owner.id, verified: true }]);
  });

  it('a user claims a name once, even unverified', async () => {
    const name = freshName();
    const { owner, domain } = await claim(name);
    await expectRefused(db, 'DOMAIN_TAKEN', () => db.aether.domains.add(owner.id, { name }));
    expect(await claimsOf(name)).toEqual([{ id: domain.id, owner_id: owner.id, verified: false }]);
  });

  it('the database refuses a second verified claim of a name on its own (the partial unique index)', async () => {
    const name = freshName();
    const [a, b] = [await claim(name), await claim(name)];
    await db.sql('update domain set verified = true, verified_at = now() where id = $1', [a.domain.id]);
    await expect(
      db.sql('update domain set verified = true, verified_at = now() where id = $1', [b.domain.id]),
    ).rejects.toMatchObject({ constraint: 'domain_verified_name_unique' });
    await expect(
      db.sql(
        `insert into domain (id, name, owner_id, verification_token, verified, status, max_mailboxes, max_aliases,
           default_quota_bytes, max_quota_bytes, created_at, version)
         select gen_random_uuid(), name, owner_id, md5(random()::text), false, status, 0, 0, 0, 0, now(), 1
           from domain where id = $1`,
        [a.domain.id],
      ),
    ).rejects.toMatchObject({ constraint: 'domain_name_owner_unique' });
    expect(await claimsOf(name)).toEqual(
      [
        { id: a.domain.id, owner_id: a.owner.id, verified: true },
        { id: b.domain.id, owner_id: b.owner.id, verified: false },
      ].sort((x, y) => x.id.localeCompare(y.id)),
    );
  });
});

describe('two users verifying one name at the same time', () => {
  it('held at the name lock until both wait: exactly one wins, the other is DOMAIN_TAKEN, one domain remains', async () => {
    const name = freshName();
    const [a, b] = [await claim(name), await claim(name)];
    const held = await lockName(name);
    const first = db.aether.domains.verify(a.owner.id, a.domain.id);
    await waitForLockWaiters(db, 1);
    const second = db.aether.domains.verify(b.owner.id, b.domain.id);
    await waitForLockWaiters(db, 2);
    // settled is attached before the release: a promise that rejects while the release's
    // connection closes already has its handler (else an unhandled rejection under load)
    const settled = Promise.allSettled([first, second]);
    await held.rollback();
    const [won, lost] = await settled;
    expect(won).toMatchObject({ status: 'fulfilled', value: { id: a.domain.id, verified: true } });
    expect(lost).toMatchObject({ status: 'rejected', reason: { code: 'DOMAIN_TAKEN' } });
    expect(await claimsOf(name)).toEqual([{ id: a.domain.id, owner_id: a.owner.id, verified: true }]);
    expect(await heldBy(b.domain.id)).toEqual({ addresses: 0, folders: 0, emails: 0 });
  });

  it('held at the claims’ rows: the name lock queues the second, which then finds the name taken', async () => {
    const name = freshName();
    const [a, b] = [await claim(name), await claim(name)];
    const held = await hold(db, [['select 1 from domain where name = $1 for update', [name]]]);
    // settled from the start: the loser may be refused before the test lets go of its own lock
    const verifications = Promise.allSettled([
      db.aether.domains.verify(a.owner.id, a.domain.id),
      db.aether.domains.verify(b.owner.id, b.domain.id),
    ]);
    // one waits on its claim's row (holding the name lock), the other on the name lock
    await waitForLockWaiters(db, 2);
    await held.rollback();
    const results = await verifications;
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code)).toEqual([
      'DOMAIN_TAKEN',
    ]);
    const winner = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
    expect(await claimsOf(name)).toEqual([
      { id: winner, owner_id: winner === a.domain.id ? a.owner.id : b.owner.id, verified: true },
    ]);
  });

  it('as an unsynchronised burst of eight claimants: one wins, the others are refused, one domain remains', async () => {
    const name = freshName();
    const claims: Awaited<ReturnType<typeof claim>>[] = [];
    for (let i = 0; i < 8; i++) claims.push(await claim(name));
    const results = await Promise.allSettled(claims.map((c) => db.aether.domains.verify(c.owner.id, c.domain.id)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [claims[i]!] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      // a claim released before its own verification began is simply gone: NOT_FOUND
      if (r.status === 'rejected')
        expect(isDomainError(r.reason, 'DOMAIN_TAKEN') || isDomainError(r.reason, 'NOT_FOUND')).toBe(true);
    }
    expect(await claimsOf(name)).toEqual([{ id: won[0]!.domain.id, owner_id: won[0]!.owner.id, verified: true }]);
  });
});

describe('a mailbox created on a claim while another claim of the name is verified', () => {
  it('held at the losing claim’s row: the verification goes first and the creation finds the claim gone', async () => {
    const name = freshName();
    const [winner, loser] = [await claim(name), await claim(name)];
    const held = await hold(db, [['select 1 from domain where id = $1 for update', [loser.domain.id]]]);
    const verifying = db.aether.domains.verify(winner.owner.id, winner.domain.id);
    await waitForLockWaiters(db, 1);
    const creating = db.aether.mailboxes.create(loser.owner.id, { address: `late@${name}` });
    await waitForLockWaiters(db, 2);
    // settled is attached before the release: a promise that rejects while the release's
    // connection closes already has its handler (else an unhandled rejection under load)
    const settled = Promise.allSettled([verifying, creating]);
    await held.rollback();
    const [verified, created] = await settled;
    expect(verified).toMatchObject({ status: 'fulfilled', value: { verified: true } });
    expect(created).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    expect(await claimsOf(name)).toEqual([{ id: winner.domain.id, owner_id: winner.owner.id, verified: true }]);
    expect(await db.sql('select id from address where address = $1', [`late@${name}`])).toEqual([]);
  });
});

describe('a user adding a name while another verifies it', () => {
  it('queued after the verification: DOMAIN_TAKEN, nothing written', async () => {
    const name = freshName();
    const a = await claim(name);
    const late = await registerUser(db);
    const held = await lockName(name);
    const verifying = db.aether.domains.verify(a.owner.id, a.domain.id);
    await waitForLockWaiters(db, 1);
    const adding = db.aether.domains.add(late.id, { name });
    await waitForLockWaiters(db, 2);
    // settled is attached before the release: a promise that rejects while the release's
    // connection closes already has its handler (else an unhandled rejection under load)
    const settled = Promise.allSettled([verifying, adding]);
    await held.rollback();
    const [verified, added] = await settled;
    expect(verified).toMatchObject({ status: 'fulfilled', value: { verified: true } });
    expect(added).toMatchObject({ status: 'rejected', reason: { code: 'DOMAIN_TAKEN' } });
    expect(await claimsOf(name)).toEqual([{ id: a.domain.id, owner_id: a.owner.id, verified: true }]);
  });

  it('queued before the verification: the new claim is made, then released by it', async () => {
    const name = freshName();
    const a = await claim(name);
    const early = await registerUser(db);
    const held = await lockName(name);
    const adding = db.aether.domains.add(early.id, { name });
    await waitForLockWaiters(db, 1);
    const verifying = db.aether.domains.verify(a.owner.id, a.domain.id);
    await waitForLockWaiters(db, 2);
    // settled is attached before the release: a promise that rejects while the release's
    // connection closes already has its handler (else an unhandled rejection under load)
    const settled = Promise.allSettled([adding, verifying]);
    await held.rollback();
    const [added, verified] = await settled;
    expect(added).toMatchObject({ status: 'fulfilled', value: { verified: false } });
    expect(verified).toMatchObject({ status: 'fulfilled', value: { verified: true } });
    expect(await claimsOf(name)).toEqual([{ id: a.domain.id, owner_id: a.owner.id, verified: true }]);
  });

  it('as an unsynchronised burst: never an unverified claim left beside the verified one', async () => {
    const burst: string[] = [];
    for (let round = 0; round < 3; round++) {
      const name = freshName();
      burst.push(name);
      const a = await claim(name);
      const adders = [];
      for (let i = 0; i < 6; i++) adders.push(await registerUser(db));
      const results = await Promise.allSettled([
        db.aether.domains.verify(a.owner.id, a.domain.id),
        ...adders.map((u) => db.aether.domains.add(u.id, { name })),
      ]);
      expect(results[0]).toMatchObject({ status: 'fulfilled', value: { verified: true } });
      for (const r of results.slice(1)) {
        if (r.status === 'rejected') expect(isDomainError(r.reason, 'DOMAIN_TAKEN')).toBe(true);
      }
      expect(await claimsOf(name)).toEqual([{ id: a.domain.id, owner_id: a.owner.id, verified: true }]);
    }
    expect(
      await db.sql(
        `select name from domain d where name = any($1) and not verified
            and exists (select 1 from domain v where v.name = d.name and v.verified)`,
        [burst],
      ),
    ).toEqual([]);
  });
});
