/**
 * The LMTP delivery agent (RFC 2033): what Postfix hands mail to as
 * `virtual_transport = lmtp:inet:127.0.0.1:2424`. A thin shell over the application: it speaks the
 * protocol with Nodemailer's `smtp-server`, reads each message once, calls one use case for all
 * its recipients, and turns each recipient's outcome into that recipient's reply.
 *
 * Two things smtp-server's LMTP mode does not do for us:
 * - It merges a repeated RCPT TO into one envelope entry, but the client still waits for one reply
 *   per RCPT it sent (Postfix sends repeats when an alias expands to the same mailbox twice); a
 *   client that gets fewer replies defers the message. So the agent keeps its own list of accepted
 *   RCPTs per transaction and always answers DATA with one reply per entry of that list.
 * - Its size refusal and its error path answer once per merged entry too, so the agent enforces
 *   SIZE itself (announced in LHLO, refused per RCPT) and never passes an error to its callback.
 *
 * Stopping (SIGTERM): stop accepting connections and commands (smtp-server answers 421), let the
 * deliveries in flight finish and answer, then close the idle connections.
 */
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { isDomainError } from '../../../domain/errors.js';
import { DELIVERED, type LmtpReply, replyFor, shuttingDown, tooBig } from './replies.js';

/** One recipient's outcome: delivered (a retry of a delivery already made counts as delivered), or why not. */
export interface RecipientOutcome {
  recipient: string;
  error?: unknown;
}

/** The use case the agent calls: each recipient's delivery is independent of the others'. */
export type DeliverEach = (input: {
  recipients: string[];
  raw: Buffer;
  sender: string | null;
}) => Promise<RecipientOutcome[]>;

export interface LmtpAgentOptions {
  deliverEach: DeliverEach;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Announced as SIZE; larger messages are refused with 552 for every recipient. */
  maxMessageBytes: number;
  /** RCPTs per transaction; more get 452 (the client sends them in another transaction). */
  maxRecipients: number;
  /** Name in the greeting. */
  hostname?: string;
  log?: (line: string) => void;
}

export interface RunningLmtpAgent {
  readonly host: string;
  readonly port: number;
  /** Deliveries being stored right now. */
  readonly inFlight: number;
  /** Stops accepting, finishes the deliveries in flight, closes the connections. */
  stop(): Promise<void>;
}

type Reply = string | (Error & { responseCode: number });

const toSmtpServerReply = (reply: LmtpReply): Reply =>
  reply.code < 300 ? reply.text : Object.assign(new Error(reply.text), { responseCode: reply.code });

export async function startLmtpAgent(options: LmtpAgentOptions): Promise<RunningLmtpAgent> {
  const log = options.log ?? (() => {});
  // RCPTs accepted in the current transaction, repeats included; smtp-server makes a new
  // envelope object for every transaction, so the list goes with it
  const accepted = new WeakMap<SMTPServerSession['envelope'], string[]>();
  const inFlight = new Set<Promise<unknown>>();

  const receive = async (stream: SMTPServerDataStream, recipients: string[], session: SMTPServerSession) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      // past the limit the rest is read and dropped: memory stays bounded by SIZE
      if (bytes <= options.maxMessageBytes) chunks.push(chunk);
    }
    if (stream.sizeExceeded || bytes > options.maxMessageBytes) {
      return recipients.map(() => tooBig(options.maxMessageBytes));
    }
    const raw = Buffer.concat(chunks, bytes);
    const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address || null : null;
    // one call for every distinct recipient; repeats get the outcome of their first occurrence
    const distinct = [...new Set(recipients)];
    let outcomes: RecipientOutcome[];
    try {
      outcomes = await options.deliverEach({ recipients: distinct, raw, sender });
    } catch (error) {
      // the use case itself failed (not one recipient): nothing is lost, the MTA retries
      log(`lmtp: delivery failed for ${distinct.length} recipient(s): ${String(error)}`);
      return recipients.map((r) => replyFor(r, error));
    }
    const byRecipient = new Map(outcomes.map((o) => [o.recipient, o]));
    // a fault is no verdict: the MTA is told to retry, the operator is told what broke
    for (const o of outcomes) {
      if (isDomainError(o.error, 'DELIVERY_FAILED'))
        log(`lmtp: delivery to ${o.recipient} failed: ${String(o.error.cause)}`);
    }
    return recipients.map((recipient) => {
      const outcome = byRecipient.get(recipient);
      if (!outcome) return replyFor(recipient, new Error('no outcome'));
      return outcome.error === undefined ? DELIVERED : replyFor(recipient, outcome.error);
    });
  };

  const server = new SMTPServer({
    lmtp: true,
    name: options.hostname ?? 'aether-lmtp',
    banner: 'Aether LMTP',
    size: options.maxMessageBytes,
    disabledCommands: ['AUTH', 'STARTTLS'],
    // RFC 3463 codes on every reply (smtp-server leaves them off by default)
    hideENHANCEDSTATUSCODES: false,
    authOptional: true,
    // the connection is local and trusted (loopback); no reverse lookups per connection
    disableReverseLookup: true,
    logger: false,
    // SIGTERM waits for deliveries in flight itself; this only bounds idle connections
    closeTimeout: 60_000,
    onRcptTo(address, session, callback) {
      const list = accepted.get(session.envelope) ?? [];
      if (list.length >= options.maxRecipients) {
        return callback(
          Object.assign(new Error(`too many recipients: at most ${options.maxRecipients} per transaction`), {
            responseCode: 452,
          }),
        );
      }
      list.push(address.address.toLowerCase());
      accepted.set(session.envelope, list);
      callback();
    },
    onData(stream, session, callback) {
      const recipients = accepted.get(session.envelope) ?? [];
      const work = receive(stream, recipients, session).then(
        (replies) => callback(null, replies.map(toSmtpServerReply)),
        (error: unknown) =>
          callback(
            null,
            recipients.map((r) => toSmtpServerReply(replyFor(r, error))),
          ),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    },
  });
  server.on('error', (error) => log(`lmtp: ${error.message}`));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the LMTP agent has no TCP address');

  let stopping: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    get inFlight() {
      return inFlight.size;
    },
    stop() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        for (const connection of server.connections) {
          connection.send(shuttingDown.code, shuttingDown.text);
          connection.close();
        }
        await closed;
      })();
      return stopping;
    },
  };
}
