import MimeNode from 'nodemailer/lib/mime-node';

/** The original's header section is returned up to this size (RFC 3462 allows headers only anyway). */
const MAX_RETURNED_HEADERS = 64 * 1024;

export interface BounceFacts {
  /** The sender who gets the notification (its mailbox's address). */
  to: string;
  /** The recipient that could not be reached. */
  recipient: string;
  /** The relay's diagnostic (an SMTP reply, or why it gave up). */
  diagnostic: string;
  /** Attempts made. */
  attempts: number;
  /** When the message was queued (Arrival-Date). */
  queuedAt: Date;
  /** The original message as stored (only its header section is returned). */
  original: Buffer;
  now?: Date;
}

/** DSN fields are US-ASCII lines: anything else (and line breaks) becomes a space. */
const field = (text: string) => text.replace(/[^\x20-\x7e]+/g, ' ').trim();

/** RFC 3463's class from an SMTP reply in the diagnostic, else 5.0.0 (permanent, unspecified). */
function statusOf(diagnostic: string): string {
  const enhanced = /\b([45])\.(\d{1,3})\.(\d{1,3})\b/.exec(diagnostic);
  if (enhanced?.[1] === '5') return `5.${enhanced[2]}.${enhanced[3]}`;
  return '5.0.0';
}

/** The header section of a raw message (up to the first empty line), at most MAX_RETURNED_HEADERS. */
export function headerSection(raw: Buffer): string {
  const text = raw.subarray(0, MAX_RETURNED_HEADERS).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return (end === -1 ? text : text.slice(0, end)).replace(/\r?\n/g, '\r\n') + '\r\n';
}

/**
 * A delivery status notification for one failed recipient (RFC 3464): a multipart/report with a
 * human-readable part, the machine-readable message/delivery-status, and the original's headers
 * (text/rfc822-headers). Sent by the domain's MAILER-DAEMON, Auto-Submitted so no one answers it.
 */
export async function composeBounce(facts: BounceFacts): Promise<Buffer> {
  const domain = facts.to.slice(facts.to.lastIndexOf('@') + 1);
  const now = facts.now ?? new Date();
  const diagnostic = field(facts.diagnostic);
  const root = new MimeNode('multipart/report; report-type=delivery-status', { newline: 'win', hostname: domain });
  root.setHeader({
    From: `Mail Delivery System <MAILER-DAEMON@${domain}>`,
    To: facts.to,
    Subject: 'Undelivered Mail Returned to Sender',
    Date: now,
    'Auto-Submitted': 'auto-replied',
  });
  root
    .createChild('text/plain; charset=utf-8')
    .setContent(
      `Your message could not be delivered to ${facts.recipient} after ${facts.attempts} attempt(s).\r\n\r\n` +
        `The remote server said: ${diagnostic}\r\n\r\nThe headers of your message are attached.\r\n`,
    );
  root
    .createChild('message/delivery-status')
    .setContent(
      `Reporting-MTA: dns; ${domain}\r\n` +
        `Arrival-Date: ${facts.queuedAt.toUTCString()}\r\n` +
        `\r\n` +
        `Final-Recipient: rfc822; ${field(facts.recipient)}\r\n` +
        `Action: failed\r\n` +
        `Status: ${statusOf(diagnostic)}\r\n` +
        `Diagnostic-Code: smtp; ${diagnostic}\r\n` +
        `Last-Attempt-Date: ${now.toUTCString()}\r\n`,
    );
  root.createChild('text/rfc822-headers').setContent(headerSection(facts.original));
  return root.build();
}
