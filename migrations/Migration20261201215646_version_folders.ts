import { Migration } from '@mikro-orm/migrations';

export class Migration20261201215646_version_folders extends Migration {

  override name = 'Migration20261201215646_version_folders';

  override up(): void | Promise<void> {
    this.addSql(`alter table "folder" add "version" int not null default 1;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "folder" drop column "version";`);
  }

}
