/**
 * The schema is written from the domain's constants: an enum list or a limit changes in one edit,
 * and `migration:check` sees the change. Three views of one fact: the mappings' source names the
 * constants (no retyped list or length), the ORM metadata holds the domain's values, and the
 * database's columns and checks say the same.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Address, ADDRESS_KINDS } from '../../src/domain/address.js';
import { MAX_ALIAS_DESTINATIONS } from '../../src/domain/alias.js';
import {
  AppPassword,
  MAX_APP_PASSWORD_NAME_LENGTH,
  MAX_REMOTE_ADDRESS_LENGTH,
  SELECTOR_LENGTH,
} from '../../src/domain/app-password.js';
import { LoginThrottle } from '../../src/domain/login-throttle.js';
import { MAX_DOMAIN_LENGTH } from '../../src/domain/domain-name.js';
import { Domain, DOMAIN_STATUSES } from '../../src/domain/domain.js';
import { MAX_ADDRESS_OCTETS } from '../../src/domain/email-address.js';
import { Email } from '../../src/domain/email.js';
import { Folder, FOLDER_ROLES, MAX_FOLDER_PATH_LENGTH } from '../../src/domain/folder.js';
import { Mailbox, MAILBOX_STATUSES } from '../../src/domain/mailbox.js';
import { MESSAGE_LIMITS } from '../../src/domain/message.js';
import { MAX_USER_NAME_LENGTH, User, USER_STATUSES } from '../../src/domain/user.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

const MAPPINGS = new URL('../../src/infrastructure/persistence/mappings/', import.meta.url);

/** [entity, property, table, column, the domain's list] of every enum column. */
const ENUMS = [
  [Address, 'kind', 'address', 'kind', ADDRESS_KINDS],
  [Mailbox, 'status', 'address', 'status', MAILBOX_STATUSES],
  [Domain, 'status', 'domain', 'status', DOMAIN_STATUSES],
  [User, 'status', 'user', 'status', USER_STATUSES],
  [Folder, 'role', 'folder', 'role', FOLDER_ROLES],
] as const;

/** [entity, property, table, column, the domain's limit] of every bounded string column that has one. */
const LENGTHS = [
  [User, 'email', 'user', 'email', MAX_ADDRESS_OCTETS],
  [User, 'name', 'user', 'name', MAX_USER_NAME_LENGTH],
  [Domain, 'name', 'domain', 'name', MAX_DOMAIN_LENGTH],
  [Folder, 'path', 'folder', 'path', MAX_FOLDER_PATH_LENGTH],
  [Email, 'messageId', 'email', 'message_id', MESSAGE_LIMITS.headerBytes],
  [Email, 'fromAddress', 'email', 'from_address', MAX_ADDRESS_OCTETS],
  [AppPassword, 'name', 'app_password', 'name', MAX_APP_PASSWORD_NAME_LENGTH],
  [AppPassword, 'selector', 'app_password', 'selector', SELECTOR_LENGTH],
  [AppPassword, 'lastUsedFrom', 'app_password', 'last_used_from', MAX_REMOTE_ADDRESS_LENGTH],
  [LoginThrottle, 'address', 'login_throttle', 'address', MAX_ADDRESS_OCTETS],
] as const;

const metadataOf = (entity: abstract new (...args: never[]) => unknown) =>
  db.aether.orm.getMetadata().find(entity as never)!;

describe('the schema comes from the domain’s constants', () => {
  it('the mappings retype no enum list and no length: each names a domain constant', async () => {
    const files = (await readdir(MAPPINGS)).filter((f) => f.endsWith('-mapping.ts'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const retyped: string[] = [];
    for (const file of files) {
      const lines = (await readFile(new URL(file, MAPPINGS), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        // a column wider than any value, said so on the line above, is a width and no domain limit
        if (lines[i - 1]?.includes('// no domain limit:')) return;
        if (/p\.enum\(\s*\[|\.length\(\s*\d|cardinality\([^)]*\)\s*<=\s*\d/.test(line)) {
          retyped.push(`${file}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(retyped).toEqual([]);
  });

  it('the ORM metadata holds the domain’s enum lists and limits', () => {
    for (const [entity, property, , , items] of ENUMS) {
      expect(metadataOf(entity).properties[property as never], `${entity.name}.${property}`).toMatchObject({
        items: [...items],
      });
    }
    for (const [entity, property, , , length] of LENGTHS) {
      expect(metadataOf(entity).properties[property as never], `${entity.name}.${property}`).toMatchObject({ length });
    }
    const aliasColumns = metadataOf(Address).checks.find((c) => c.name === 'address_alias_columns');
    expect(aliasColumns?.expression).toContain(`cardinality(destinations) <= ${MAX_ALIAS_DESTINATIONS}`);
  });

  it('the database’s columns and checks say the same', async () => {
    const checks = new Map(
      (
        await db.sql<{ name: string; definition: string }>(
          `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where contype = 'c'`,
        )
      ).map((c) => [c.name, c.definition]),
    );
    for (const [, , table, column, items] of ENUMS) {
      const definition = checks.get(`${table}_${column}_check`);
      expect(definition, `${table}.${column}`).toBeDefined();
      const allowed = [...definition!.matchAll(/'([^']*)'::text/g)].map((m) => m[1]);
      expect(allowed, `${table}.${column}`).toEqual([...items]);
    }
    expect(checks.get('address_alias_columns')).toContain(`<= ${MAX_ALIAS_DESTINATIONS}`);

    const columns = await db.sql<{ table: string; column: string; length: number }>(
      `select table_name as table, column_name as column, character_maximum_length as length
       from information_schema.columns where table_schema = current_schema() and character_maximum_length is not null`,
    );
    for (const [, , table, column, length] of LENGTHS) {
      expect(
        columns.find((c) => c.table === table && c.column === column),
        `${table}.${column}`,
      ).toMatchObject({ length });
    }
  });
});
