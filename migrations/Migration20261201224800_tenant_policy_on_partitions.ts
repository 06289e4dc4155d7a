import { Migration } from '@mikro-orm/migrations';

/**
 * Row-level security binds a query through the table it names: a partition named directly is read
 * with the partition's own policies, not its parent's. So every partition of a table with row-level
 * security gets it too, with a copy of each of the parent's policies (issue 12, item 1). A migration
 * that creates partitions later must do the same; test/security/tenant-isolation.test.ts checks it.
 */
/** Every partition of a table of this schema that has row-level security: (child, parent). */
const PARTITIONS_OF_SECURED_TABLES = `select i.inhrelid::regclass as child, i.inhparent as parent
    from pg_inherits i join pg_class p on p.oid = i.inhparent join pg_class c on c.oid = i.inhrelid
    where p.relnamespace = current_schema()::regnamespace and p.relrowsecurity and c.relkind in ('r', 'p')`;

export class Migration20261201224800_tenant_policy_on_partitions extends Migration {
  override name = 'Migration20261201224800_tenant_policy_on_partitions';

  override up(): void | Promise<void> {
    this.addSql(`do \$\$
declare
  part record;
  pol record;
  roles text;
begin
  for part in ${PARTITIONS_OF_SECURED_TABLES} loop
    execute format('alter table %s enable row level security', part.child);
    for pol in select * from pg_policy where polrelid = part.parent loop
      continue when exists (select 1 from pg_policy where polrelid = part.child and polname = pol.polname);
      select string_agg(case when r = 0 then 'public' else quote_ident(pg_get_userbyid(r)) end, ', ')
        into roles from unnest(pol.polroles) r;
      execute format('create policy %I on %s as %s for %s to %s', pol.polname, part.child,
          case when pol.polpermissive then 'permissive' else 'restrictive' end,
          case pol.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end,
          roles)
        || coalesce(' using (' || pg_get_expr(pol.polqual, pol.polrelid) || ')', '')
        || coalesce(' with check (' || pg_get_expr(pol.polwithcheck, pol.polrelid) || ')', '');
    end loop;
  end loop;
end \$\$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`do \$\$
declare
  part record;
  pol record;
begin
  for part in ${PARTITIONS_OF_SECURED_TABLES} loop
    for pol in select polname from pg_policy where polrelid = part.parent loop
      execute format('drop policy if exists %I on %s', pol.polname, part.child);
    end loop;
    execute format('alter table %s disable row level security', part.child);
  end loop;
end \$\$;`);
  }
}
