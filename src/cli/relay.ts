/**
 * `npm run relay` / `make relay`: publishes the transactional outbox to NATS JetStream until
 * stopped (Ctrl+C or SIGTERM). Run as many as you like: one leads, the others stand by and take
 * over when it goes. Reads DATABASE_URL (never the pooler: LISTEN needs a session of its own),
 * NATS_URL, AETHER_EVENTS_STREAM, AETHER_EVENTS_PREFIX, AETHER_RELAY_BATCH, AETHER_RELAY_POLL_MS.
 */
import { resolveDatabaseSettings } from '../infrastructure/database/database-settings.js';
import { ConfigurationError, describeTarget } from '../infrastructure/database/database-url.js';
import { OutboxRelay } from '../infrastructure/events/outbox-relay.js';
import { resolveRelaySettings } from '../infrastructure/events/relay-settings.js';
import { commandLine } from './command-line.js';

commandLine(
  `Usage: npm run relay

Publishes the transactional outbox's change events to NATS JetStream until stopped (Ctrl+C or
SIGTERM). Several may run: one leads, the others stand by and take over when it goes.

Environment: DATABASE_URL (never the pooler: LISTEN needs a session of its own), NATS_URL
(nats://127.0.0.1:4222), AETHER_EVENTS_STREAM, AETHER_EVENTS_PREFIX, AETHER_RELAY_BATCH,
AETHER_RELAY_POLL_MS. See the README's "Events".`,
  {},
);

async function settings() {
  try {
    return { database: await resolveDatabaseSettings(), relay: resolveRelaySettings() };
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(`error: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

const { database, relay: options } = await settings();
console.log(
  `[relay] outbox of ${describeTarget(database.direct)} to stream ${options.stream.name} on ${options.servers.join(',')} ` +
    `(waits for NATS if it is down; polls every ${options.pollIntervalMs} ms besides LISTEN)`,
);
const relay = new OutboxRelay({ database: database.direct, ...options });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await relay.stop();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

await relay.start().catch((error: unknown) => {
  console.error(`error: the relay stopped: ${(error as Error).message}`);
  process.exit(1);
});
