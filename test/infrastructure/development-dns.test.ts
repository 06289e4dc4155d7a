/**
 * AETHER_DEV_DNS_FILE: domains can be verified locally from a records file, and the file can never
 * be switched on against a database that is not local, or in production.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAether } from '../../src/infrastructure/aether.js';
import { ConfigurationError } from '../../src/infrastructure/database/database-url.js';
import { developmentTxtResolver } from '../../src/infrastructure/dns/development-dns.js';
import { fastHasher, useTestDatabase } from '../support/test-database.js';
import { expectRefused, registerUser } from '../support/world.js';

const db = useTestDatabase();
const records = join(mkdtempSync(join(tmpdir(), 'aether-dns-')), 'dns.txt');
const saved = { file: process.env.AETHER_DEV_DNS_FILE, env: process.env.NODE_ENV };
afterEach(() => {
  process.env.AETHER_DEV_DNS_FILE = saved.file ?? '';
  if (saved.env === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = saved.env;
});

describe('AETHER_DEV_DNS_FILE', () => {
  it("verifies a domain against the file, read at each lookup, through openAether's default resolver", async () => {
    writeFileSync(records, '# development DNS\n\nunrelated.example TXT aether-verification=nope\n');
    process.env.AETHER_DEV_DNS_FILE = records;
    const aether = await openAether({ settings: db.settings, passwordHasher: fastHasher });
    try {
      const owner = await registerUser(db);
      const domain = await aether.domains.add(owner.id, { name: 'local-dev.example' });
      await expectRefused(db, 'DOMAIN_VERIFICATION_FAILED', () => aether.domains.verify(owner.id, domain.id));
      appendFileSync(records, `Local-Dev.Example. TXT "${domain.verificationRecord.value}"\n`);
      expect(await aether.domains.verify(owner.id, domain.id)).toMatchObject({ verified: true });
      const [row] = await db.sql('select verified from domain where id = $1', [domain.id]);
      expect(row).toEqual({ verified: true });
    } finally {
      await aether.close();
    }
  });

  it('is refused under NODE_ENV=production, before connecting', async () => {
    process.env.AETHER_DEV_DNS_FILE = records;
    process.env.NODE_ENV = 'production';
    const error = await openAether({ settings: db.settings }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      'AETHER_DEV_DNS_FILE is set under NODE_ENV=production; unset it (domains are verified with real DNS)',
    );
  });

  it('is refused against a database that is not on this machine', () => {
    const remote = { embedded: false, direct: { ...db.settings.direct, host: 'db.internal' } };
    expect(() => developmentTxtResolver(remote, { AETHER_DEV_DNS_FILE: records })).toThrow(
      new ConfigurationError(
        'AETHER_DEV_DNS_FILE is only for a local database, and DATABASE_URL points at db.internal; unset it',
      ),
    );
    expect(developmentTxtResolver(remote, {})).toBeUndefined();
    expect(developmentTxtResolver({ ...remote, embedded: true }, { AETHER_DEV_DNS_FILE: records })).toBeTypeOf(
      'function',
    );
  });
});
