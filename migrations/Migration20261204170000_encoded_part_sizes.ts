import { Migration } from '@mikro-orm/migrations';

/**
 * BODYSTRUCTURE sizes are the octets (and, for text, the lines) of a body as transmitted. Messages
 * stored before kept decoded sizes; the single-part ones (every message the message-store migration
 * synthesised, and most mail) are measured again here on their raw bytes, exactly as
 * `parseRawMessage` measures: the body starts after the first empty line. Multipart messages
 * stored before this migration keep their decoded leaf sizes (docs/message-store.md).
 *
 * `down()` changes nothing: the schema is the same, and the sizes it would put back were wrong.
 */
export class Migration20261204170000_encoded_part_sizes extends Migration {
  override name = 'Migration20261204170000_encoded_part_sizes';

  override up(): void | Promise<void> {
    this.addSql(`update "message" m set "structure" = jsonb_set(jsonb_set(m."structure", '{size}', to_jsonb(b.size)), '{lines}',
        case when m."structure"->>'type' = 'text' then to_jsonb(b.lines) else 'null'::jsonb end)
      from (
        select s."content_hash", octet_length(s.body) as size,
               length(s.text) - length(replace(s.text, E'\\n', '')) + case when s.text <> '' and right(s.text, 1) <> E'\\n' then 1 else 0 end as lines
          from (
            select x."content_hash", x.body, encode(x.body, 'escape') as text
              from (
                select "content_hash", substring("raw" from (
                         case when get_byte("raw", 0) = 10 then 2
                              when octet_length("raw") > 1 and get_byte("raw", 0) = 13 and get_byte("raw", 1) = 10 then 3
                              else least(coalesce(nullif(position('\\x0a0d0a'::bytea in "raw"), 0) + 3, octet_length("raw") + 1),
                                         coalesce(nullif(position('\\x0a0a'::bytea in "raw"), 0) + 2, octet_length("raw") + 1))
                         end)) as body
                  from "message"
                 where "structure"->'children' = '[]'::jsonb and "structure"->>'type' <> 'multipart'
              ) x
          ) s
      ) b
     where b."content_hash" = m."content_hash";`);
  }

  override down(): void | Promise<void> {
    // a correction of data only: nothing to undo
  }
}
