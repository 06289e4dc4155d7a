import { Migration } from '@mikro-orm/migrations';

export class Migration20261204154326_domain_deleted_event extends Migration {

  override name = 'Migration20261204154326_domain_deleted_event';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_event" drop constraint "outbox_event_kind_check";`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_kind_check" check ("kind" in ('user.registered', 'user.suspended', 'user.activated', 'user.password_changed', 'user.deleted', 'login.throttled', 'domain.added', 'domain.verified', 'domain.released', 'domain.suspended', 'domain.activated', 'domain.limits_changed', 'domain.deleted', 'mailbox.created', 'mailbox.suspended', 'mailbox.activated', 'mailbox.deleted', 'mailbox.quota_changed', 'mailbox.quota_reached', 'folder.created', 'folder.renamed', 'folder.deleted', 'email.delivered', 'email.sent', 'email.flags_changed', 'email.moved', 'email.expunged'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_event" drop constraint "outbox_event_kind_check";`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_kind_check" check ("kind" in ('user.registered', 'user.suspended', 'user.activated', 'user.password_changed', 'user.deleted', 'login.throttled', 'domain.added', 'domain.verified', 'domain.released', 'domain.suspended', 'domain.activated', 'domain.limits_changed', 'mailbox.created', 'mailbox.suspended', 'mailbox.activated', 'mailbox.deleted', 'mailbox.quota_changed', 'mailbox.quota_reached', 'folder.created', 'folder.renamed', 'folder.deleted', 'email.delivered', 'email.sent', 'email.flags_changed', 'email.moved', 'email.expunged'));`);
  }

}
