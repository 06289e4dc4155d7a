import { Migration } from '@mikro-orm/migrations';

export class Migration20261204164129_outbound_queue extends Migration {

  override name = 'Migration20261204164129_outbound_queue';

  override up(): void | Promise<void> {
    this.addSql(`create table "outbound_message" ("id" uuid not null, "tenant_id" uuid not null, "sender_mailbox_id" uuid null, "envelope_sender" varchar(254) not null, "recipient" varchar(254) not null, "content_hash" varchar(64) null, "status" text not null, "attempts" int not null, "claimed_by" varchar(200) null, "next_attempt_at" timestamptz not null, "last_error" varchar(1000) null, "bounce_email_id" uuid null, "queued_at" timestamptz not null, "updated_at" timestamptz not null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "outbound_message_tenant_id_index" on "outbound_message" ("tenant_id");`);
    this.addSql(`create index "outbound_message_sender_mailbox_id_index" on "outbound_message" ("sender_mailbox_id");`);
    this.addSql(`create index "outbound_message_content_hash_index" on "outbound_message" ("content_hash");`);
    this.addSql(`create index "outbound_message_due_index" on "outbound_message" ("next_attempt_at") where status in ('queued', 'deferred', 'claimed');`);

    this.addSql(`alter table "outbox_event" drop constraint "outbox_event_kind_check";`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_kind_check" check ("kind" in ('user.registered', 'user.suspended', 'user.activated', 'user.password_changed', 'user.deleted', 'login.throttled', 'domain.added', 'domain.verified', 'domain.released', 'domain.suspended', 'domain.activated', 'domain.limits_changed', 'domain.deleted', 'mailbox.created', 'mailbox.suspended', 'mailbox.activated', 'mailbox.deleted', 'mailbox.quota_changed', 'mailbox.quota_reached', 'folder.created', 'folder.renamed', 'folder.deleted', 'email.delivered', 'email.sent', 'email.flags_changed', 'email.moved', 'email.expunged', 'outbound.queued', 'outbound.delivered', 'outbound.deferred', 'outbound.bounced'));`);

    this.addSql(`alter table "outbound_message" add constraint "outbound_message_tenant_id_foreign" foreign key ("tenant_id") references "user" ("id") on delete cascade;`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_sender_mailbox_id_foreign" foreign key ("sender_mailbox_id") references "address" ("id") on delete set null;`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_content_hash_foreign" foreign key ("content_hash") references "message" ("content_hash") on delete restrict;`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_attempts" check (attempts >= 0 and (status = 'queued') = (attempts = 0));`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_claim" check ((status = 'claimed') = (claimed_by is not null and claimed_by <> ''));`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_finished" check ((status in ('delivered', 'bounced')) = (finished_at is not null));`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_content" check (status in ('delivered', 'bounced') or content_hash is not null);`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_error" check (status in ('queued', 'claimed', 'delivered') or last_error is not null);`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_bounce" check (bounce_email_id is null or status = 'bounced');`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_recipient" check (recipient ~ '^[^@[:space:]]+@[^@[:space:]]+\$');`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_envelope_sender" check (envelope_sender = '' or envelope_sender ~ '^[^@[:space:]]+@[^@[:space:]]+\$');`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_times" check (updated_at >= queued_at);`);
    this.addSql(`alter table "outbound_message" add constraint "outbound_message_status_check" check ("status" in ('queued', 'claimed', 'deferred', 'delivered', 'bounced'));`);
    this.addSql(`alter table "outbound_message" enable row level security;`);
    this.addSql(`create policy "outbound_message_tenant" on "outbound_message" using ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or tenant_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user)) with check ((select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user) is null or tenant_id = (select nullif(current_setting('aether.user_id', true), '')::uuid as acting_user));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "outbound_message" cascade;`);

    this.addSql(`alter table "outbox_event" drop constraint "outbox_event_kind_check";`);
    this.addSql(`alter table "outbox_event" add constraint "outbox_event_kind_check" check ("kind" in ('user.registered', 'user.suspended', 'user.activated', 'user.password_changed', 'user.deleted', 'login.throttled', 'domain.added', 'domain.verified', 'domain.released', 'domain.suspended', 'domain.activated', 'domain.limits_changed', 'domain.deleted', 'mailbox.created', 'mailbox.suspended', 'mailbox.activated', 'mailbox.deleted', 'mailbox.quota_changed', 'mailbox.quota_reached', 'folder.created', 'folder.renamed', 'folder.deleted', 'email.delivered', 'email.sent', 'email.flags_changed', 'email.moved', 'email.expunged'));`);
  }

}
