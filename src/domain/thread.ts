/**
 * Threads (JMAP's threadId, a conversation): which messages belong together, decided at delivery
 * from the headers. The rule, as documented in the README:
 *
 * 1. A message's reference keys are its own Message-ID and the ids in its In-Reply-To and
 *    References headers (the last MAX_THREAD_REFERENCES of them), angle brackets stripped.
 * 2. It joins every thread of its mailbox that holds an email sharing a reference key with it —
 *    its parent's, and its children's when they arrived first. When that is more than one thread,
 *    they merge into the oldest (the smallest thread id: ids are time-ordered).
 * 3. Subject fallback: a message that found no thread by reference but is a reply (it names a
 *    parent in In-Reply-To/References, or its subject has a reply or forward prefix) joins the
 *    thread of the latest email of its mailbox with the same normalised subject (not empty).
 * 4. Otherwise it starts a thread of its own: the same subject alone never joins two originals.
 *
 * Threads never span mailboxes: every lookup is confined to the mailbox of the delivery.
 */

/** How many ids a message links by: its own, its In-Reply-To, then its nearest References (the last ones). */
export const MAX_THREAD_REFERENCES = 50;
/** Normalised subjects are compared on their first characters only. */
export const MAX_SUBJECT_KEY_CHARS = 200;
/** A subject key is told apart from a message id by this prefix (a message id has no space). */
export const SUBJECT_KEY_PREFIX = 'subject ';
/** A key longer than this (a malformed id) is not linked by: a GIN index entry has a size limit. */
const MAX_KEY_BYTES = 998;

/**
 * Reply and forward prefixes in the languages mail clients commonly write them in (Re, Fw, Fwd,
 * German Aw/Wg, Nordic Sv, Dutch Antw, French Tr), with an optional counter (`Re[2]:`), and
 * mailing-list tags in brackets (`[list]`), any number of them at the start.
 * The SQL of the migration that threads existing mail repeats this pattern (keep them in step).
 */
const PREFIXES = /^(?:\s*(?:\[[^\]]*\]|(?:re|fwd?|aw|sv|antw|wg|tr)\s*(?:\[\d+\])?\s*:))+/i;
const REPLY_PREFIX = /(?:^|[\s\]:])(?:re|fwd?|aw|sv|antw|wg|tr)\s*(?:\[\d+\])?\s*:/i;

/**
 * A subject as threads compare it: lower case, the reply/forward prefixes and list tags at its
 * start removed, runs of white space made one space, trimmed, at most MAX_SUBJECT_KEY_CHARS.
 */
export function normalizeSubject(subject: string): string {
  const lowered = String(subject ?? '').toLowerCase();
  const stripped = lowered.replace(PREFIXES, '').replace(/\s+/g, ' ').trim();
  return Array.from(stripped).slice(0, MAX_SUBJECT_KEY_CHARS).join('');
}

/** Whether a subject starts like a reply or a forward (`Re:`, `[list] Fwd:` …). */
export function hasReplyPrefix(subject: string): boolean {
  const match = PREFIXES.exec(String(subject ?? ''));
  return match !== null && REPLY_PREFIX.test(match[0]);
}

/** The message ids of a header value: `<a@b> <c@d>` → `a@b`, `c@d` (bare ids are taken too). */
export function messageIdsOf(header: string | null | undefined): string[] {
  if (!header) return [];
  const bracketed = [...header.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  const ids = bracketed.length > 0 ? bracketed : header.split(/[\s,]+/).map((id) => id.replace(/[<>]/g, ''));
  return ids.filter((id) => id.length > 0 && Buffer.byteLength(id) <= MAX_KEY_BYTES);
}

/** What a message contributes to threading. */
export interface ThreadSource {
  messageId: string;
  subject: string;
  inReplyTo?: string | null;
  references?: string | null;
}

export interface ThreadKeys {
  /** The message's own id and the ids it refers to: what links it to other emails. */
  references: string[];
  /** SUBJECT_KEY_PREFIX + the normalised subject; null when that is empty. */
  subject: string | null;
  /** A reply (by its headers or its subject's prefix): only a reply takes the subject fallback. */
  reply: boolean;
}

export function threadKeysOf(source: ThreadSource): ThreadKeys {
  const own = messageIdsOf(source.messageId);
  const parents = messageIdsOf(source.inReplyTo);
  const ancestors = messageIdsOf(source.references).slice(-MAX_THREAD_REFERENCES);
  const normalized = normalizeSubject(source.subject);
  return {
    references: [...new Set([...own, ...parents, ...ancestors])].slice(0, MAX_THREAD_REFERENCES),
    subject: normalized ? SUBJECT_KEY_PREFIX + normalized : null,
    reply: parents.length > 0 || ancestors.length > 0 || hasReplyPrefix(source.subject),
  };
}

/** The keys an email keeps (and is found by): its reference keys and its subject key. */
export function storedThreadKeys(keys: ThreadKeys): string[] {
  return keys.subject ? [...keys.references, keys.subject] : [...keys.references];
}

/** The thread an email is placed in, and the keys later mail finds it by. */
export interface ThreadPlacement {
  id: string;
  keys: string[];
}
