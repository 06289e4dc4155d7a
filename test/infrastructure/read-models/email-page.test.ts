/** One email page: the mail service's folder page and the studio's email list share its keyset. */
import { beforeAll, describe, expect, it } from 'vitest';
import { StudioQueries } from '../../../src/studio/queries.js';
import { useTestDatabase } from '../../support/test-database.js';
import { message, ownerWithDomain } from '../../support/world.js';

const db = useTestDatabase();
let queries: StudioQueries;
let owner: { id: string };
let box: { id: string; address: string };
let inboxId: string;

/** Every page of the keyset, following cursors (bounded: a cursor that never ends fails). */
async function allPages<P extends { items: { id: string }[] }>(
  first: () => Promise<P>,
  next: (page: P) => Promise<P> | null,
): Promise<{ ids: string[]; sql: string[] }> {
  db.queries.length = 0;
  const ids: string[] = [];
  let page: P | null = await first();
  for (let i = 0; page && i < 50; i++) {
    ids.push(...page.items.map((e) => e.id));
    page = await next(page);
  }
  expect(page, 'the last page has no cursor').toBeNull();
  // the table may be schema-qualified (?schema=)
  return { ids, sql: db.queries.filter((q) => /from ("[^"]+"\.)?"?email"? as "?e"?/.test(q) && !q.includes('count(')) };
}

beforeAll(async () => {
  queries = new StudioQueries(db.aether.unitOfWork);
  const world = await ownerWithDomain(db);
  owner = world.owner;
  box = await db.aether.mailboxes.create(owner.id, { address: `box@${world.domain.name}` });
  // one batch shares its arrival instant: the id breaks the ties
  await db.aether.mail.deliverMany(
    box.address,
    Array.from({ length: 7 }, (_, i) => message({ subject: `batch ${i}` })),
  );
  for (let i = 0; i < 3; i++) {
    await db.aether.mail.deliverInbound({ recipients: [box.address], message: message({ subject: `single ${i}` }) });
  }
  inboxId = (await db.aether.mailboxes.get(owner.id, box.id)).folders!.find((f) => f.role === 'inbox')!.id;
});

describe('the email page read model', () => {
  it("pages the studio's email list newest first with the row comparison, ties broken by id", async () => {
    const expected = await db.sql<{ id: string }>('select id from email order by received_at desc, id desc');
    const { ids, sql } = await allPages(
      () => queries.listEmail({ limit: 3 }),
      (page) => (page.next ? queries.listEmail({ limit: 3, after: page.next }) : null),
    );
    expect(ids).toEqual(expected.map((r) => r.id));
    expect(sql).toHaveLength(4);
    for (const after of sql.slice(1)) {
      expect(after).toMatch(/\(e\.received_at, e\.id\) < \(/);
      expect(after).not.toMatch(/ or /i);
    }
  });

  it('keeps the filters of the studio list next to the keyset', async () => {
    const expected = await db.sql<{ id: string }>(
      `select id from email where mailbox_id = $1 and folder_id = $2 and subject ilike '%batch%'
       order by received_at desc, id desc`,
      [box.id, inboxId],
    );
    expect(expected).toHaveLength(7);
    const list = (after?: string) =>
      queries.listEmail({ mailbox: box.id, folder: inboxId, q: 'batch', limit: 2, ...(after ? { after } : {}) });
    const { ids } = await allPages(
      () => list(),
      (page) => (page.next ? list(page.next) : null),
    );
    expect(ids).toEqual(expected.map((r) => r.id));
    const first = await list();
    expect(first.total).toBe(7);
    expect(first.items[0]).toMatchObject({ mailboxAddress: box.address, folderPath: 'INBOX', mailboxId: box.id });
  });

  it("pages the mail service's folder with the same keyset and cursor", async () => {
    const expected = await db.sql<{ id: string }>(
      'select id from email where folder_id = $1 order by received_at desc, id desc',
      [inboxId],
    );
    const page = (cursor?: string) =>
      db.aether.mail.listFolderPage(owner.id, {
        mailboxId: box.id,
        folderId: inboxId,
        limit: 4,
        cursor: cursor ?? null,
      });
    const { ids, sql } = await allPages(
      () => page(),
      (p) => (p.nextCursor ? page(p.nextCursor) : null),
    );
    expect(ids).toEqual(expected.map((r) => r.id));
    for (const after of sql.slice(1)) expect(after).toMatch(/\(e\.received_at, e\.id\) < \(/);
    // a studio cursor and a folder page cursor are one format: either continues the other's page
    const studio = await queries.listEmail({ mailbox: box.id, folder: inboxId, limit: 4 });
    expect((await page(studio.next!)).items.map((e) => e.id)).toEqual(expected.slice(4, 8).map((r) => r.id));
  });
});
