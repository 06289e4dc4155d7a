/**
 * Guard of `src/infrastructure/database/upstream/bound-parameters.ts`. MikroORM 7 writes query
 * values into the SQL text; ours go to PostgreSQL bound ($1, $2, …): the placeholders are read as
 * MikroORM reads them, and any value survives the trip unchanged. When the stock driver stops
 * inlining, the first test fails and the workaround can go.
 */
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { raw } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { User } from '../../../src/domain/user.js';
import { createOrmConfig } from '../../../src/infrastructure/database/orm-config.js';
import { bindParameters } from '../../../src/infrastructure/database/upstream/bound-parameters.js';
import { useTestDatabase } from '../../support/test-database.js';
import { registerUser } from '../../support/world.js';

const db = useTestDatabase();

const platform = {
  quoteIdentifier: (id: string) => `"${id.replaceAll('"', '""')}"`,
  formatQuery: (sql: string) => sql,
};

const probe = 'select current_query() as query, ?::text as value';

describe('MikroORM inlines query values (the upstream behaviour)', () => {
  it('stock MikroORM writes the values into the SQL text', async () => {
    const orm = await MikroORM.init({ ...createOrmConfig(db.settings), driver: PostgreSqlDriver });
    try {
      const rows = await orm.em.getConnection().execute(probe, ["it's"]);
      expect(rows).toEqual([{ query: "select current_query() as query, 'it''s'::text as value", value: "it's" }]);
    } finally {
      await orm.close(true);
    }
  });
});

describe('binding parameters', () => {
  it('reads ?, ?? and \\? as MikroORM does, lists arrays, keeps raw fragments as SQL', () => {
    const bound = bindParameters(
      'select ?? from t where a = ? and b in (?) and c \\?| array[1] and d = ? and e = ? and f < ?',
      ['col"x', "it's", [1, 2, 3], raw('now()'), { k: 'v' }, 12n],
      platform,
    );
    expect(bound.text).toBe(
      'select "col""x" from t where a = $1 and b in ($2, $3, $4) and c ?| array[1] and d = now() and e = $5 and f < $6',
    );
    expect(bound.values).toEqual(["it's", 1, 2, 3, '{"k":"v"}', '12']);
  });

  it('leaves a query without placeholders as it is', () => {
    expect(bindParameters('select 1', [], platform)).toEqual({ text: 'select 1', values: [] });
  });

  it('sends values as parameters: the server sees $1, not the value', async () => {
    const rows = await db.aether.orm.em.getConnection().execute(probe, ["it's"]);
    expect(rows).toEqual([{ query: 'select current_query() as query, $1::text as value', value: "it's" }]);
  });

  it('stores and finds values that would need escaping, unchanged', async () => {
    const user = await registerUser(db);
    const name = `O'Brien \\ ? ?? $1 \\? -- '; drop table "user"; --`;
    await db.aether.users.rename(user.id, name);
    expect(await db.sql('select name from "user" where id = $1', [user.id])).toEqual([{ name }]);
    const found = await db.aether.unitOfWork((em) => em.findOneOrFail(User, { name }));
    expect(found.id).toBe(user.id);
    expect(await db.sql('select count(*)::int as n from "user"')).toEqual([{ n: 1 }]);
  });
});
