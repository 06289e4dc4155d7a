import { Migration } from '@mikro-orm/migrations';

/**
 * The relay's rounds start from the oldest waiting events (src/infrastructure/events/outbox-relay.ts):
 * an index on `occurred_at` makes that a seek instead of grouping the whole outbox every round, which
 * after a long stream outage (a million waiting events) took 0.25 s per round of 500 against about
 * 10 ms. The outbox holds only what waits to be published, so the index builds in moments.
 */
export class Migration20261205182247_outbox_oldest_first extends Migration {

  override name = 'Migration20261205182247_outbox_oldest_first';

  override up(): void | Promise<void> {
    this.addSql(`create index "outbox_event_occurred_at_index" on "outbox_event" ("occurred_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "outbox_event_occurred_at_index";`);
  }

}
