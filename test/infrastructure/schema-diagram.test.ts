import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  offlineOrm,
  schemaModel,
  toMarkdown,
  toMermaid,
  toSvg,
  withReadmeDiagram,
} from '../../src/infrastructure/persistence/schema-diagram/index.js';

const orm = offlineOrm();
const model = schemaModel(orm.getMetadata());

afterAll(() => orm.close(true));

describe('the schema diagram, from MikroORM metadata', () => {
  it('has one box per table, with the entities mapped to it', () => {
    expect(model.tables.map((t) => [t.name, t.entities])).toEqual([
      ['address', ['Address', 'Alias', 'Mailbox']],
      ['app_password', ['AppPassword']],
      ['delivery_receipt', ['DeliveryReceipt']],
      ['domain', ['Domain']],
      ['email', ['Email']],
      ['folder', ['Folder']],
      ['login_throttle', ['LoginThrottle']],
      ['mail_change', ['MailChange']],
      ['mailbox_password', ['MailboxPassword']],
      ['mailbox_state', ['MailboxState']],
      ['mailbox_usage', ['MailboxUsage']],
      ['message', ['StoredMessage']],
      ['outbound_message', ['OutboundMessage']],
      ['outbox_event', ['OutboxEvent']],
      ['outbox_key', ['OutboxKey']],
      ['user', ['User']],
    ]);
    const address = model.tables.find((t) => t.name === 'address')!;
    expect(address.discriminator).toBe('kind');
    expect(address.columns.find((c) => c.name === 'status')).toMatchObject({ onlyFor: 'Mailbox' });
    // a mailbox's quota and bytes used are its usage row's (#19)
    expect(address.columns.find((c) => c.name === 'quota_bytes')).toBeUndefined();
    expect(address.columns.find((c) => c.name === 'destinations')).toMatchObject({ onlyFor: 'Alias', type: 'text[]' });
    expect(address.columns.find((c) => c.name === 'address')).toMatchObject({ unique: true, type: 'varchar(255)' });
    const email = model.tables.find((t) => t.name === 'email')!;
    expect(email.columns.filter((c) => c.pk).map((c) => c.name)).toEqual(['mailbox_id', 'id']);
    expect(model.tables.find((t) => t.name === 'user')!.columns.find((c) => c.name === 'status')!.values).toEqual([
      'active',
      'suspended',
    ]);
  });

  it('has one line per foreign key, with the columns MikroORM maps', () => {
    const fks = model.relations
      .map((r) => `${r.from}.${r.columns.join(',')} -> ${r.to}.${r.toColumns.join(',')}`)
      .sort();
    expect(fks).toEqual([
      'address.domain_id -> domain.id',
      'app_password.mailbox_id -> address.id',
      'delivery_receipt.mailbox_id -> address.id',
      'domain.owner_id -> user.id',
      'email.mailbox_id -> address.id',
      // the message store is kept per mailbox, and email's key to it shares mailbox_id (#19)
      'email.mailbox_id,content_hash -> message.mailbox_id,content_hash',
      // folder is keyed by (mailbox_id, id), and email's key to it shares mailbox_id (#19)
      'email.mailbox_id,folder_id -> folder.mailbox_id,id',
      'email.user_id -> user.id',
      'folder.mailbox_id -> address.id',
      'mail_change.mailbox_id -> address.id',
      'mailbox_password.mailbox_id -> address.id',
      'mailbox_state.mailbox_id -> address.id',
      'mailbox_usage.mailbox_id -> address.id',
      'message.mailbox_id -> address.id',
      'outbound_message.sender_mailbox_id -> address.id',
      'outbound_message.tenant_id -> user.id',
    ]);
    expect(model.relations.find((r) => r.from === 'domain')!.onDelete).toBe('cascade');
  });

  it('renders Mermaid erDiagram text and an SVG with a box per table', () => {
    const mermaid = toMermaid(model);
    expect(mermaid.startsWith('erDiagram\n')).toBe(true);
    expect(mermaid).toContain('  user ||--o{ domain : "owner_id"');
    expect(mermaid).toContain('    uuid mailbox_id PK, FK');
    expect(mermaid).toContain('    varchar(254) email UK');
    // every attribute line is `type name [keys] ["comment"]` with Mermaid-legal words
    for (const line of mermaid.split('\n').filter((l) => l.startsWith('    '))) {
      expect(line).toMatch(
        /^ {4}[A-Za-z][A-Za-z0-9_\-[\]()]* [a-z_][a-z0-9_]*( (PK|FK|UK)(, (PK|FK|UK))*)?( "[^"]*")?$/,
      );
    }
    const svg = toSvg(model, { standalone: true });
    expect(svg.startsWith('<?xml')).toBe(true);
    for (const t of model.tables) expect(svg).toContain(`id="erd-${t.name}"`);
    expect(svg.match(/<path [^>]*marker-start="url\(#erd-many\)"/g)).toHaveLength(model.relations.length);
    expect(svg).not.toMatch(/<script|<style|\sstyle=/i);
  });

  it('is the README’s overview, the relations alone (regenerate with `npm run docs:schema`)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme, 'the README’s diagram is stale: run npm run docs:schema').toBe(withReadmeDiagram(readme, model));
    const overview = toMermaid(model, { columns: false });
    expect(readme).toContain(overview);
    for (const r of model.relations) expect(overview).toContain(`${r.to} `);
    expect(overview).not.toContain('{\n');
  });

  it('is what docs/schema.md and docs/schema.svg hold (regenerate with `npm run docs:schema`)', () => {
    const docs = new URL('../../docs/', import.meta.url);
    expect(readFileSync(new URL('schema.md', docs), 'utf8'), 'docs/schema.md is stale: run npm run docs:schema').toBe(
      toMarkdown(model),
    );
    expect(readFileSync(new URL('schema.svg', docs), 'utf8'), 'docs/schema.svg is stale: run npm run docs:schema').toBe(
      toSvg(model, { standalone: true }),
    );
  });
});
