import { Migration } from '@mikro-orm/migrations';

/**
 * A domain name belongs to whoever proves control of it: an unverified claim no longer blocks
 * another user's claim of the same name. Unique among verified claims, and once per owner.
 */
export class Migration20261201222600_domain_claims_per_owner extends Migration {
  override name = 'Migration20261201222600_domain_claims_per_owner';

  override up(): void | Promise<void> {
    this.addSql(`alter table "domain" drop constraint "domain_name_unique";`);
    this.addSql(`create unique index "domain_verified_name_unique" on "domain" ("name") where verified;`);
    this.addSql(`alter table "domain" add constraint "domain_name_owner_unique" unique ("name", "owner_id");`);
  }

  // fails (and changes nothing) while several users claim one name: which claim to drop is not ours to guess
  override down(): void | Promise<void> {
    this.addSql(`drop index "domain_verified_name_unique";`);
    this.addSql(`alter table "domain" drop constraint "domain_name_owner_unique";`);
    this.addSql(`alter table "domain" add constraint "domain_name_unique" unique ("name");`);
  }
}
