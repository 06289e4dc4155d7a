/**
 * `npm run lmtp` / `make lmtp`: the LMTP delivery agent on loopback, for Postfix's
 * `virtual_transport = lmtp:inet:127.0.0.1:2424`. Stores each message through the application
 * services on the configured database (DATABASE_URL, or the embedded PostgreSQL). SIGTERM or
 * Ctrl+C stops accepting, lets the deliveries in flight finish, then exits.
 */
import { MAX_ENVELOPE_RECIPIENTS } from '../application/mail-service.js';
import { MAX_RAW_MESSAGE_BYTES } from '../domain/raw-message.js';
import { type Aether, openAether } from '../infrastructure/aether.js';
import { gatherWhileBusy } from '../infrastructure/mail/lmtp/gather-while-busy.js';
import { startLmtpAgent } from '../infrastructure/mail/lmtp/lmtp-agent.js';
import { commandLine, fail } from './command-line.js';

const args = commandLine(
  `Usage: npm run lmtp -- [--host 127.0.0.1] [--port 2424]

Starts the LMTP delivery agent (RFC 2033) that Postfix hands local mail to
(virtual_transport = lmtp:inet:127.0.0.1:2424). It answers one reply per recipient, stores each
message once per mailbox (a retried delivery stores nothing new), and answers 451 (try again
later) when the database cannot take the message. SIGTERM or Ctrl+C finishes the deliveries in
flight, then exits.

Options (or the environment):
  --host ADDRESS   listen address, loopback by default (LMTP_HOST)
  --port PORT      listen port, 2424 by default; 0 picks a free one (LMTP_PORT)`,
  {
    host: { type: 'string', default: process.env.LMTP_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.LMTP_PORT ?? '2424' },
  },
);
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`error: --port must be a port number from 0 to 65535 (got "${args.port}")`);
  process.exit(2);
}

const aether: Aether = await openAether().catch((error: unknown) => fail(error));

const agent = await startLmtpAgent({
  host: args.host!,
  port,
  maxMessageBytes: MAX_RAW_MESSAGE_BYTES,
  maxRecipients: MAX_ENVELOPE_RECIPIENTS,
  // messages that arrive while a batch is being stored go in the next one: one transaction for many.
  // Two batches at once keep the database and the agent both busy (bench: 109 msg/s with one, 121
  // with two, 111 with four: more batches mostly wait on each other's mailbox locks)
  deliverEach: gatherWhileBusy((inputs) => aether.mail.deliverEachBatch(inputs), {
    concurrency: 2,
    maxWeight: MAX_ENVELOPE_RECIPIENTS,
    weigh: (input) => input.recipients.length,
  }),
  log: (line) => console.error(line),
}).catch(async (error: NodeJS.ErrnoException) => {
  await aether.close();
  fail(error.code === 'EADDRINUSE' ? new Error(`${args.host}:${port} is in use; pick another --port`) : error);
});

console.log(
  `Aether LMTP agent listening on ${agent.host}:${agent.port} (${aether.settings.embedded ? 'embedded' : 'configured'} database)`,
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: no new connections; finishing ${agent.inFlight} delivery(ies) in flight`);
  await agent.stop();
  await aether.close().catch(() => {});
  console.log('LMTP agent stopped.');
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
