import { Migration } from '@mikro-orm/migrations';

/**
 * Domains sort by the name people read (`bücher.example` beside `buch.example`, not among the
 * `xn--…` names): a stored generated column `unicode_name` in the ICU root collation, computed by
 * `idn_to_unicode`, which decodes each `xn--` label of a stored (ASCII) name by RFC 3492 and
 * leaves a label it cannot decode as it is. Generated, so no writer can make it disagree with the
 * name, and existing rows get it when the column is added.
 */
export class Migration20261204163000_domain_unicode_name extends Migration {

  override name = 'Migration20261204163000_domain_unicode_name';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "idn_to_unicode"(name text) returns text
language plpgsql immutable strict parallel safe as \$\$
declare
  labels text[] := string_to_array(name, '.');
  result text[] := '{}';
  label text;
  code text;
  output int[];
  n int; i bigint; bias int; pos int; old_i bigint; w bigint; k int; t int; digit int; c int; delta bigint; points int;
begin
  foreach label in array labels loop
    if left(label, 4) <> 'xn--' then
      result := result || label;
      continue;
    end if;
    begin
      code := substr(label, 5);
      output := '{}';
      pos := length(code) - strpos(reverse(code), '-') + 1; -- the last '-', or length + 1 when there is none
      if strpos(code, '-') > 0 then
        for j in 1 .. pos - 1 loop
          output := output || ascii(substr(code, j, 1));
        end loop;
        code := substr(code, pos + 1);
      end if;
      n := 128; i := 0; bias := 72; pos := 1;
      while pos <= length(code) loop
        old_i := i; w := 1; k := 36;
        loop
          if pos > length(code) then raise exception 'truncated'; end if;
          c := ascii(substr(code, pos, 1));
          pos := pos + 1;
          digit := case when c between 97 and 122 then c - 97 when c between 48 and 57 then c - 22 else null end;
          if digit is null then raise exception 'bad digit'; end if;
          i := i + digit * w;
          t := case when k <= bias then 1 when k >= bias + 26 then 26 else k - bias end;
          exit when digit < t;
          w := w * (36 - t);
          k := k + 36;
        end loop;
        points := coalesce(array_length(output, 1), 0) + 1;
        delta := case when old_i = 0 then (i - old_i) / 700 else (i - old_i) / 2 end;
        delta := delta + delta / points;
        k := 0;
        while delta > 455 loop -- ((36 - 1) * 26) / 2
          delta := delta / 35;
          k := k + 36;
        end loop;
        bias := k + (36 * delta) / (delta + 38);
        n := n + (i / points)::int;
        i := i % points;
        if n > 1114111 or n between 55296 and 57343 then raise exception 'not a code point'; end if;
        output := output[1:i] || n || output[i + 1:];
        i := i + 1;
      end loop;
      result := result || coalesce(nullif((select string_agg(chr(x), '' order by o) from unnest(output) with ordinality as u(x, o)), ''), label);
    exception when others then
      result := result || label;
    end;
  end loop;
  return array_to_string(result, '.');
end
\$\$;`);
    this.addSql(
      `alter table "domain" add column "unicode_name" varchar(253) collate "und-x-icu" generated always as (idn_to_unicode(name)) stored not null;`,
    );
    this.addSql(`create index "domain_unicode_name_id_index" on "domain" ("unicode_name", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "domain_unicode_name_id_index";`);
    this.addSql(`alter table "domain" drop column "unicode_name";`);
    this.addSql(`drop function "idn_to_unicode"(text);`);
  }

}
