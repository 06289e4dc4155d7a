/**
 * Every kind of change event the data layer publishes, with the scope whose id orders it. Events
 * of one scope (one mailbox, one domain, one user) reach the stream in commit order; events of
 * different scopes are not ordered against each other.
 */
export const EVENT_KINDS = {
  'user.registered': 'user',
  'user.suspended': 'user',
  'user.activated': 'user',
  'user.password_changed': 'user',
  'user.deleted': 'user',
  'login.throttled': 'user',
  'domain.added': 'domain',
  'domain.verified': 'domain',
  'domain.released': 'domain',
  'domain.suspended': 'domain',
  'domain.activated': 'domain',
  'domain.limits_changed': 'domain',
  'domain.deleted': 'domain',
  'mailbox.created': 'mailbox',
  'mailbox.suspended': 'mailbox',
  'mailbox.activated': 'mailbox',
  'mailbox.deleted': 'mailbox',
  'mailbox.quota_changed': 'mailbox',
  'mailbox.quota_reached': 'mailbox',
  'folder.created': 'mailbox',
  'folder.renamed': 'mailbox',
  'folder.deleted': 'mailbox',
  'email.delivered': 'mailbox',
  'email.sent': 'mailbox',
  'email.flags_changed': 'mailbox',
  'email.moved': 'mailbox',
  'email.expunged': 'mailbox',
  'outbound.queued': 'user',
  'outbound.delivered': 'user',
  'outbound.deferred': 'user',
  'outbound.bounced': 'user',
} as const satisfies Record<string, EventScope>;

export const EVENT_SCOPES = ['user', 'domain', 'mailbox'] as const;
export type EventScope = (typeof EVENT_SCOPES)[number];
export type EventKind = keyof typeof EVENT_KINDS;

/** The thresholds at which `mailbox.quota_reached` is recorded (percent of the quota used). */
export const QUOTA_THRESHOLDS = [80, 95, 100] as const;

/**
 * What an event may carry besides its ids: small facts (names, sizes, flags, folder ids). Never a
 * message body, a header, a password hash or a token: the stream is read by more than the owner.
 */
export type EventData = Record<string, string | number | boolean | null | string[]>;
