import { Migration } from '@mikro-orm/migrations';

/**
 * "An address is on its own domain" as a check and a key instead of a trigger (issue #19: Citus
 * refuses a table with triggers): the address keeps its domain's name, the key (domain_id,
 * domain_name) -> domain (id, name) holds it to the domain's, and the check address_in_domain holds
 * the address's domain part to it. Existing rows take the name of their domain.
 */
export class Migration20261204173409_address_domain_name_instead_of_trigger extends Migration {

  override name = 'Migration20261204173409_address_domain_name_instead_of_trigger';

  override up(): void | Promise<void> {
    this.addSql(`alter table "domain" add constraint "domain_id_name_unique" unique ("id", "name");`);

    this.addSql(`drop trigger if exists "address_in_domain" on "address";`);
    this.addSql(`drop function if exists "address_address_in_domain_fn"();`);
    this.addSql(`alter table "address" add "domain_name" varchar(253) null;`);
    this.addSql(`update "address" a set "domain_name" = d."name" from "domain" d where d."id" = a."domain_id";`);
    this.addSql(`alter table "address" alter column "domain_name" set not null;`);
    this.addSql(`alter table "address" add constraint "address_domain_name_foreign" foreign key ("domain_id", "domain_name") references "domain" ("id", "name") on update cascade on delete cascade;`);
    this.addSql(`alter table "address" add constraint "address_in_domain" check (split_part(address, '@', 2) = domain_name);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "address" drop constraint "address_domain_name_foreign";`);

    this.addSql(`alter table "address" drop constraint "address_in_domain";`);
    this.addSql(`alter table "address" drop column "domain_name";`);
    this.addSql(`create or replace function "address_address_in_domain_fn"() returns trigger as \$\$ begin declare ok boolean; begin
  if tg_op = 'UPDATE' and new.address is not distinct from old.address and new.domain_id is not distinct from old.domain_id then
    return new;   end if;   execute format('select split_part(\$1, ''@'', 2) = (select d.name from %I.domain d where d.id = \$2)', tg_table_schema) into ok using new.address, new.domain_id;   if ok is not true then
    raise exception 'an address must be on its own domain' using errcode = '23514', constraint = 'address_in_domain';   end if;   return new; end; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "address_in_domain" BEFORE INSERT OR UPDATE on "address" for each ROW execute function "address_address_in_domain_fn"();`);

    this.addSql(`alter table "domain" drop constraint "domain_id_name_unique";`);
  }

}
