/**
 * Addresses and domain names from arbitrary strings, through the application services and the
 * database: every input is either refused with a domain error (the value object's own code, or a
 * conflict when it normalises to something already stored) with nothing written, or accepted,
 * normalised, and read back from PostgreSQL exactly as the service returned it and as the value
 * object would store it again (`parse(stored)` is the identity on stored forms).
 *
 * Never acceptable: a TypeError, a raw driver error, or PersistenceError (DATABASE_UNAVAILABLE is
 * how a database error that reached PostgreSQL comes back, so seeing it means validation missed
 * something PostgreSQL refused: a NUL, a lone surrogate, an over-long value, …).
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DomainView } from '../../src/application/views.js';
import { DomainName } from '../../src/domain/domain-name.js';
import { EmailAddress } from '../../src/domain/email-address.js';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import { caseFoldedSql } from '../../src/infrastructure/persistence/case-fold-sql.js';
import { useTestDatabase } from '../support/test-database.js';
import { digestRows } from '../support/digest.js';
import { expectRefused, PASSWORD, registerUser } from '../support/world.js';

const db = useTestDatabase();

/** A tag of this run, in a label of its own, so generated names do not meet earlier runs' names. */
const RUN = `r${randomBytes(4).toString('hex')}`;
/** Runs per property; `ROUNDTRIP_RUNS=2000 npx vitest run test/security` searches harder. */
const NUM_RUNS = Number(process.env.ROUNDTRIP_RUNS ?? 150);

// ---------------------------------------------------------------------------------------------
// Generators: full Unicode, lone surrogates, NUL and control characters, look-alikes, and
// strings around and far past the length limits.
// ---------------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const CONTROL_CHARS = ['\u0000', '\r', '\n', '\t', '\u0007', '\u001b', '\u007f', '\u0085'];
const INVISIBLE_CHARS = ['\u200b', '\u200d', '\u202e', '\ufeff', '\u00ad', '\u00a0', '\u2028']; // and bidi, spaces
const SYNTAX_CHARS = [...`%_\\'";-@.()[]<>,/ `, '--']; // SQL, LIKE and address syntax
const IDNA_AND_CASE_CHARS = [...'\u3002\uff0e\uff45\u0130\u0131\u00df\u03a3\u03c2\u017f\u212a']; // mapped by IDNA, or odd under case mapping
const OTHER_SCRIPT_CHARS = ['\u0430', '\u03b1', '\u0561', '\u05d0', '\u0627', '\u65e5', '\u0301', '\u0338'];
const ODD_CODE_POINTS = ['\u{1f642}', '\u{10ffff}', '\uffff', '\ue000']; // astral, noncharacters, private use
const nastyChar = fc.constantFrom(
  ...CONTROL_CHARS,
  ...INVISIBLE_CHARS,
  ...SYNTAX_CHARS,
  ...IDNA_AND_CASE_CHARS,
  ...OTHER_SCRIPT_CHARS,
  ...ODD_CODE_POINTS,
);
const oneCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
/** Any string at all, weighted towards the characters that break things. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: fc.oneof(loneSurrogate, nastyChar, oneCodePoint, fc.constantFrom('a', 'B', '0')), maxLength: 24 }),
);
const veryLong = fc.oneof(
  fc.integer({ min: 60, max: 70 }).map((n) => 'a'.repeat(n)), // around the 64-octet local part
  fc.integer({ min: 28, max: 36 }).map((n) => '\u00e9'.repeat(n)), // 2 octets each
  fc.integer({ min: 250, max: 260 }).map((n) => 'b'.repeat(n)),
  fc.integer({ min: 1000, max: 1100 }).map((n) => 'c'.repeat(n)), // around the raw-input bound
  fc.constant('d'.repeat(100_000)),
);
const localPart = fc.oneof(
  { weight: 3, arbitrary: anyText },
  { weight: 2, arbitrary: fc.emailAddress().map((e) => e.slice(0, e.lastIndexOf('@'))) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', 'Z', '.', '+', '%', '_', '\u00fc', '\u0130', '\u00df', '\u03a3', 'e\u0301', '\u01c5'),
      minLength: 1,
      maxLength: 12,
    }),
  },
  { weight: 1, arbitrary: veryLong },
);
const labelChar = fc.constantFrom(...'aZ0-\u00fc\u00df\u0430\u03b1\u65e5\uff45\u00ad\u0130_%');
/** Domain-ish strings: arbitrary labels followed by this run's own label, so most are new. */
const runDomain = fc
  .array(fc.string({ unit: labelChar, minLength: 0, maxLength: 12 }), { minLength: 1, maxLength: 3 })
  .map((labels) => [...labels, RUN, 'test'].join('.'));
const domainish = fc.oneof(
  { weight: 3, arbitrary: runDomain },
  { weight: 1, arbitrary: fc.domain() },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: veryLong.map((s) => `${s}.${RUN}.test`) },
);
const addressish = fc.oneof(
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: veryLong },
  { weight: 4, arbitrary: fc.tuple(localPart, domainish).map(([l, d]) => `${l}@${d}`) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.emailAddress(), fc.boolean()).map(([e, upper]) => (upper ? e.toUpperCase() : e)),
  },
);

// ---------------------------------------------------------------------------------------------

type Outcome<T> = { ok: T; error?: undefined } | { ok?: undefined; error: DomainError };

/** Runs a service call: it may succeed or throw a DomainError, nothing else. */
async function attempt<T>(label: string, action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await action() };
  } catch (error) {
    expect(error, `${label}: only domain errors may escape, got ${String(error)}`).toBeInstanceOf(DomainError);
    const code = (error as DomainError).code;
    expect(
      ['DATABASE_UNAVAILABLE', 'STATEMENT_TIMEOUT', 'CONCURRENT_UPDATE'],
      `${label}: a database error leaked (${code})`,
    ).not.toContain(code);
    return { error: error as DomainError };
  }
}

/** The value object's verdict on the same input: the normalised value, or its error code. */
function verdict<T>(parse: () => T): { value: T; code?: undefined } | { value?: undefined; code: ErrorCode } {
  try {
    return { value: parse() };
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { code: (error as DomainError).code };
  }
}

/**
 * Another spelling of a stored local part that must mean the same address: ASCII in upper case
 * with full-width letters and digits (NFKC folds them back), anything else decomposed (NFD).
 */
function lookAlike(localPart: string): string {
  if (!/^[\x21-\x7e]*$/.test(localPart)) return localPart.normalize('NFD');
  return localPart.toUpperCase().replace(/[A-Z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…(${s.length})` : s);
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** A text column read back with its exact UTF-8 bytes, by primary key. */
async function readBack(
  table: 'user' | 'domain' | 'address',
  column: string,
  id: string,
): Promise<{ value: string; hex: string } | undefined> {
  const [row] = await db.sql<{ value: string; hex: string }>(
    `select ${column} as value, encode(convert_to(${column}, 'UTF8'), 'hex') as hex from "${table}" where id = $1`,
    [id],
  );
  return row;
}

async function exists(table: 'user' | 'domain' | 'address', column: string, value: string): Promise<boolean> {
  const rows = await db.sql(`select 1 from "${table}" where ${column} = $1`, [value]);
  return rows.length === 1;
}

describe('email addresses through users.register', () => {
  it('any string is refused with INVALID_EMAIL_ADDRESS or EMAIL_TAKEN, or stored normalised and read back unchanged', async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(addressish, async (input) => {
        const label = `register ${show(input)}`;
        const expected = verdict(() => EmailAddress.parse(input));
        const before = await digestRows(db);
        const outcome = await attempt(label, () => db.aether.users.register({ email: input, password: PASSWORD }));

        if (outcome.error) {
          expect(await digestRows(db), `${label} wrote something`).toEqual(before);
          if (expected.code) {
            expect(outcome.error.code, label).toBe(expected.code);
          } else {
            expect(outcome.error.code, label).toBe('EMAIL_TAKEN');
            expect(await exists('user', 'email', expected.value.value), label).toBe(true);
          }
          return;
        }

        expect(expected.code, `${label} was accepted by the service but refused by EmailAddress`).toBeUndefined();
        const view = outcome.ok;
        expect(view.email, label).toBe(expected.value!.value);
        const row = await readBack('user', 'email', view.id);
        expect(row?.value, label).toBe(view.email);
        expect(row?.hex, label).toBe(hex(view.email));
        expect(EmailAddress.parse(row!.value).value, label).toBe(row!.value);
        expect(Buffer.byteLength(row!.value), label).toBeLessThanOrEqual(254);
        stored++;

        // the very string registered with signs in, and a normalised variant is the same user
        await expect(db.aether.users.authenticate({ email: input, password: PASSWORD })).resolves.toMatchObject({
          id: view.id,
        });
        const { localPart, domain } = EmailAddress.parse(row!.value);
        const variant = `${lookAlike(localPart)}@${domain.ascii.toUpperCase()}.`;
        await expectRefused(db, 'EMAIL_TAKEN', () => db.aether.users.register({ email: variant, password: PASSWORD }));
      }),
      { numRuns: NUM_RUNS },
    );
    // the generators are not all refusals: a fair share reached the database
    expect(stored).toBeGreaterThan(NUM_RUNS / 10);
  });
});

describe('domain names through domains.add', () => {
  let ownerId: string;
  beforeAll(async () => {
    ownerId = (await registerUser(db)).id;
  });

  it('any string is refused with INVALID_DOMAIN_NAME or DOMAIN_TAKEN, or stored in ASCII form and read back unchanged', async () => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 4, arbitrary: domainish }, { weight: 1, arbitrary: addressish }),
        async (input) => {
          const label = `domains.add ${show(input)}`;
          const expected = verdict(() => DomainName.parse(input));
          const before = await digestRows(db);
          const outcome = await attempt(label, () => db.aether.domains.add(ownerId, { name: input }));

          if (outcome.error) {
            expect(await digestRows(db), `${label} wrote something`).toEqual(before);
            if (expected.code) {
              expect(outcome.error.code, label).toBe(expected.code);
            } else {
              expect(outcome.error.code, label).toBe('DOMAIN_TAKEN');
              expect(await exists('domain', 'name', expected.value.ascii), label).toBe(true);
            }
            return;
          }

          expect(expected.code, `${label} was accepted by the service but refused by DomainName`).toBeUndefined();
          const view: DomainView = outcome.ok;
          expect(view.name, label).toBe(expected.value!.ascii);
          expect(view.displayName, label).toBe(expected.value!.unicode);
          const row = await readBack('domain', 'name', view.id);
          expect(row?.value, label).toBe(view.name);
          expect(row?.hex, label).toBe(hex(view.name));
          expect(DomainName.parse(row!.value).ascii, label).toBe(row!.value);
          expect(DomainName.parse(view.displayName).ascii, label).toBe(row!.value);
          expect(row!.value.length, label).toBeLessThanOrEqual(253);
          stored++;

          // the same name in another spelling is the same domain
          for (const variant of [`${row!.value.toUpperCase()}.`, view.displayName]) {
            await expectRefused(db, 'DOMAIN_TAKEN', () => db.aether.domains.add(ownerId, { name: variant }));
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
    expect(stored).toBeGreaterThan(NUM_RUNS / 10);
  });
});

describe('mailbox addresses through mailboxes.create', () => {
  let ownerId: string;
  const domains: DomainName[] = [];
  beforeAll(async () => {
    ownerId = (await registerUser(db)).id;
    for (const name of [`box.${RUN}.example`, `b\u00fccher-${RUN}.example`]) {
      domains.push(DomainName.parse((await db.aether.domains.add(ownerId, { name })).name));
    }
  });

  it('any local part is refused with INVALID_EMAIL_ADDRESS or ADDRESS_TAKEN, or stored normalised and read back unchanged', async () => {
    let stored = 0;
    // the domain in each of the spellings a caller might use: ASCII, Unicode, upper case, trailing dot
    const spelling = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.constantFrom('ascii', 'unicode', 'upper', 'dot'));
    await fc.assert(
      fc.asyncProperty(localPart, spelling, async (local, [which, how]) => {
        const domain = domains[which]!;
        const written = {
          ascii: domain.ascii,
          unicode: domain.unicode,
          upper: domain.ascii.toUpperCase(),
          dot: `${domain.unicode}.`,
        }[how];
        const input = `${local}@${written}`;
        const label = `mailboxes.create ${show(input)}`;
        const expected = verdict(() => EmailAddress.parse(input));
        const before = await digestRows(db);
        const outcome = await attempt(label, () => db.aether.mailboxes.create(ownerId, { address: input }));

        if (outcome.error) {
          expect(await digestRows(db), `${label} wrote something`).toEqual(before);
          if (expected.code) {
            expect(outcome.error.code, label).toBe(expected.code);
          } else {
            expect(outcome.error.code, label).toBe('ADDRESS_TAKEN');
            expect(await exists('address', 'address', expected.value.value), label).toBe(true);
          }
          return;
        }

        expect(expected.code, `${label} was accepted by the service but refused by EmailAddress`).toBeUndefined();
        const view = outcome.ok;
        expect(view.address, label).toBe(expected.value!.value);
        expect(view.address.endsWith(`@${domain.ascii}`), label).toBe(true);
        const row = await readBack('address', 'address', view.id);
        expect(row?.value, label).toBe(view.address);
        expect(row?.hex, label).toBe(hex(view.address));
        expect(EmailAddress.parse(row!.value).value, label).toBe(row!.value);
        stored++;

        const { localPart: storedLocal } = EmailAddress.parse(row!.value);
        const variant = `${lookAlike(storedLocal)}@${domain.unicode}`;
        await expectRefused(db, 'ADDRESS_TAKEN', () => db.aether.mailboxes.create(ownerId, { address: variant }));
      }),
      { numRuns: NUM_RUNS },
    );
    expect(stored).toBeGreaterThan(NUM_RUNS / 10);
  });
});

describe("stored forms and the database's own rules", () => {
  it('every letter, mark and digit a local part may hold is stored in a form the database calls case-folded NFC', async () => {
    // The address check constraints judge the fold with PostgreSQL's own normalize() and regular
    // expressions: a server whose Unicode tables disagreed with JavaScript's would refuse valid
    // addresses with a constraint error.
    const chars: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      const ch = String.fromCodePoint(c);
      if ((c < 0xd800 || c > 0xdfff) && /[\p{L}\p{M}\p{N}]/u.test(ch)) chars.push(ch);
    }
    // eight at a time (one parse each), one at a time where a group is refused
    const forms = new Set<string>();
    const storedForm = (local: string) => {
      const parsed = verdict(() => EmailAddress.parse(`${local}@x.test`));
      if (parsed.value) forms.add(parsed.value.localPart);
      return parsed.value !== undefined;
    };
    for (let i = 0; i < chars.length; i += 8) {
      const group = chars.slice(i, i + 8);
      if (!storedForm(group.join(''))) group.forEach(storedForm);
    }
    expect(forms.size).toBeGreaterThan(15_000);
    const list = [...forms];
    const [check] = await db.sql<{ not_folded: string[]; not_nfc: string[] }>(
      `select coalesce(array_agg(s) filter (where not (${caseFoldedSql('s')})), '{}') as not_folded,
              coalesce(array_agg(s) filter (where s is not nfc normalized), '{}') as not_nfc
         from unnest($1::text[]) as s`,
      [list],
    );
    expect(check).toEqual({ not_folded: [], not_nfc: [] });
    const back = await db.sql<{ s: string }>('select s from unnest($1::text[]) with ordinality as t(s, n) order by n', [
      list,
    ]);
    expect(back.map((r) => r.s)).toEqual(list);
  });
});
