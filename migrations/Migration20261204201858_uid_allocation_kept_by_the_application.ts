import { Migration } from '@mikro-orm/migrations';

/**
 * "A UID is below its folder's UIDNEXT" leaves the database (issue #19): the trigger
 * `email_uid_allocated` compared an email row with its folder row, which no constraint can say, and
 * Citus refuses triggers. The application keeps the rule: it hands UIDs out from the folder's
 * counter under the folder row's lock (application/mail-counters.ts, allocateUids), and the unique
 * key (mailbox_id, folder_id, uid) refuses a UID used twice. down() brings the trigger back.
 */
export class Migration20261204201858_uid_allocation_kept_by_the_application extends Migration {

  override name = 'Migration20261204201858_uid_allocation_kept_by_the_application';

  override up(): void | Promise<void> {
    this.addSql(`drop trigger if exists "email_uid_allocated" on "email";`);
    this.addSql(`drop function if exists "email_email_uid_allocated_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function "email_email_uid_allocated_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.folder_id is not distinct from old.folder_id and new.uid is not distinct from old.uid then
    return new;   end if;   execute format('select exists (select 1 from %I.folder f where f.id = \$1 and \$2 < f.uid_next)', tg_table_schema) into ok using new.folder_id, new.uid;   if ok is not true then
    raise exception 'an email UID must be below its folder UIDNEXT' using errcode = '23514', constraint = 'email_uid_allocated';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "email_uid_allocated" BEFORE INSERT OR UPDATE on "email" for each ROW execute function "email_email_uid_allocated_fn"();`);
  }

}
