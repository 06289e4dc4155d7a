import { Migration } from '@mikro-orm/migrations';

/**
 * Threads and full-text search for the message store.
 *
 * Threads: every email gets `thread_keys` (its reference ids and its normalised-subject key, as
 * domain/thread.ts computes them; the SQL here repeats its patterns) and a `thread_id`. Existing
 * email is threaded by the reference rule: emails of one mailbox that share a reference id are
 * one thread (connected components, found by propagating the smallest email id across shared
 * keys until nothing changes), named by the id of its oldest email (ids are time-ordered). The
 * subject fallback applies to mail delivered from now on.
 *
 * Search: `email_search_document` makes an email's tsvector ('simple' dictionary: no stemming
 * or stop words, so it works for any language) from its subject (weight A), sender (B),
 * recipients (C) and the first 100,000 characters of its body text (D); a GIN expression index
 * on it (on every partition) is what search reads. Nothing is stored per row: the index is built
 * once here and kept by PostgreSQL on every insert, whoever writes the row.
 */
export class Migration20261204163116_threads_and_search extends Migration {

  override name = 'Migration20261204163116_threads_and_search';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function "email_search_document"(subject text, from_address text, to_addresses text[], cc_addresses text[], body text) returns tsvector
      language sql immutable parallel safe as \$\$
        select setweight(to_tsvector('simple'::regconfig, coalesce(subject, '')), 'A')
          || setweight(to_tsvector('simple'::regconfig, coalesce(from_address, '') || ' ' || translate(coalesce(from_address, ''), '@.', '  ')), 'B')
          || setweight(to_tsvector('simple'::regconfig, coalesce(array_to_string(to_addresses || cc_addresses, ' '), '') || ' ' || translate(coalesce(array_to_string(to_addresses || cc_addresses, ' '), ''), '@.', '  ')), 'C')
          || setweight(to_tsvector('simple'::regconfig, left(coalesce(body, ''), 100000)), 'D')
      \$\$;`);

    this.addSql(`alter table "email" add "thread_id" uuid null, add "thread_keys" text[] not null default '{}';`);

    // the ids of a header as domain/thread.ts messageIdsOf reads them
    this.addSql(`create or replace function pg_temp.aether_message_ids(h text) returns text[] language sql immutable as \$\$
      select case
        when h is null or h = '' then '{}'::text[]
        when h ~ '<[^<>[:space:]]+>' then array(select m[1] from regexp_matches(h, '<([^<>[:space:]]+)>', 'g') m where octet_length(m[1]) <= 998)
        else array(select x from regexp_split_to_table(h, '[[:space:],]+') s, replace(replace(s, '<', ''), '>', '') x where x <> '' and octet_length(x) <= 998)
      end \$\$;`);
    // reference keys (own id, In-Reply-To, the last 50 References; first 50 distinct) and the subject key
    this.addSql(`create temporary table "thread_source" on commit drop as
      select e."mailbox_id", e."id", refs."keys",
        nullif(left(btrim(regexp_replace(regexp_replace(lower(e."subject"), '^(\\s*(\\[[^]]*\\]|(re|fwd?|aw|sv|antw|wg|tr)\\s*(\\[[0-9]+\\])?\\s*:))+', ''), '\\s+', ' ', 'g')), 200), '') as "subject"
      from "email" e
      join "message" m on m."content_hash" = e."content_hash"
      cross join lateral (select array(
        select k from unnest(pg_temp.aether_message_ids(e."message_id")
            || pg_temp.aether_message_ids(m."envelope"->>'inReplyTo')
            || (select coalesce(array_agg(r order by n), '{}') from (
                  select r, n from unnest(pg_temp.aether_message_ids(m."envelope"->>'references')) with ordinality a(r, n)
                  order by n desc limit 50) tail)) with ordinality u(k, n)
        group by k order by min(n) limit 50) as "keys") refs;`);
    this.addSql(`create temporary table "thread_link" on commit drop as
      select s."mailbox_id", s."id", k from "thread_source" s, unnest(s."keys") k;`);
    this.addSql(`create index on "thread_link" ("mailbox_id", "k");`);
    this.addSql(`create temporary table "thread_of" on commit drop as select "mailbox_id", "id", "id"::text as "thread" from "email";`);
    this.addSql(`create unique index on "thread_of" ("mailbox_id", "id");`);
    this.addSql(`do \$\$ begin loop
        with key_min as (select l."mailbox_id", l."k", min(t."thread") as "thread" from "thread_link" l
                           join "thread_of" t on t."mailbox_id" = l."mailbox_id" and t."id" = l."id" group by 1, 2),
             email_min as (select l."mailbox_id", l."id", min(km."thread") as "thread" from "thread_link" l
                           join key_min km on km."mailbox_id" = l."mailbox_id" and km."k" = l."k" group by 1, 2)
        update "thread_of" t set "thread" = em."thread" from email_min em
          where t."mailbox_id" = em."mailbox_id" and t."id" = em."id" and em."thread" < t."thread";
        exit when not found;
      end loop; end \$\$;`);
    this.addSql(`update "email" e set "thread_id" = t."thread"::uuid,
        "thread_keys" = s."keys" || case when s."subject" is null then '{}'::text[] else array['subject ' || s."subject"] end
      from "thread_of" t join "thread_source" s on s."mailbox_id" = t."mailbox_id" and s."id" = t."id"
      where e."mailbox_id" = t."mailbox_id" and e."id" = t."id";`);
    this.addSql(`alter table "email" alter column "thread_id" set not null, alter column "thread_id" set default gen_random_uuid();`);
    this.addSql(`drop function pg_temp.aether_message_ids(text);`);

    this.addSql(`create index "email_thread_index" on "email" ("mailbox_id", "thread_id");`);
    this.addSql(`create index "email_thread_keys_index" on "email" using gin ("thread_keys");`);
    this.addSql(`create index "email_search_index" on "email" using gin (email_search_document(subject, from_address, to_addresses, cc_addresses, body));`);
    this.addSql(`alter table "email" add constraint "email_thread_keys" check (cardinality(thread_keys) <= 51);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "email_thread_index";`);
    this.addSql(`drop index "email_thread_keys_index";`);
    this.addSql(`drop index "email_search_index";`);
    this.addSql(`alter table "email" drop constraint "email_thread_keys";`);
    this.addSql(`alter table "email" drop column "thread_id", drop column "thread_keys";`);
    this.addSql(`drop function if exists "email_search_document"(text, text, text[], text[], text);`);
  }

}
