/**
 * What consumers import: open the data layer, call the services, catch typed errors. Everything a
 * consumer can catch is exported here (every error class and the list of codes), and so are the
 * entity classes, for consumers who query through `aether.orm.em` (read-only: changes go through
 * the services, which keep the rules).
 */
export {
  type Aether,
  type AetherOptions,
  type Migrations,
  type Services,
  openAether,
} from './infrastructure/aether.js';
export type { DatabaseSettings } from './infrastructure/database/database-settings.js';
export { resolveDatabaseSettings } from './infrastructure/database/database-settings.js';
export type { ConnectionTarget } from './infrastructure/database/database-url.js';
export type { UnitOfWork, UnitOfWorkOptions } from './application/unit-of-work.js';
export type { DeliveryReport, FolderPage } from './application/mail-service.js';
export { MAX_BATCH_SIZE, MAX_ENVELOPE_RECIPIENTS, MAX_PAGE_SIZE } from './application/mail-service.js';
export type { EmailCount, MailboxStatistics, UserStatistics } from './application/statistics-service.js';
export type * from './application/views.js';

// errors: every refusal is a DomainError with a stable code; opening can also fail with these
export * from './domain/errors.js';
export { ConfigurationError } from './infrastructure/database/database-url.js';
export { DatabaseUnavailableError } from './infrastructure/database/preflight.js';
export { SchemaOutdatedError } from './infrastructure/database/schema-status.js';

// the model
export { MESSAGE_LIMITS, type MessageInput } from './domain/message.js';
export { type DomainLimits, type TxtResolver, DEFAULT_LIMITS } from './domain/domain.js';
export type { EmailFlags } from './domain/email.js';
export type { PasswordHasher } from './domain/password-hasher.js';
export { EmailAddress } from './domain/email-address.js';
export { DomainName } from './domain/domain-name.js';
export { User, USER_STATUSES, type UserStatus } from './domain/user.js';
export { Domain, DOMAIN_STATUSES, type DomainStatus } from './domain/domain.js';
export { Address, ADDRESS_KINDS, type AddressKind } from './domain/address.js';
export { Mailbox, MAILBOX_STATUSES, type MailboxStatus } from './domain/mailbox.js';
export { Alias, MAX_ALIAS_DEPTH, MAX_ALIAS_DESTINATIONS } from './domain/alias.js';
export { Folder, FOLDER_DELIMITER, FOLDER_ROLES, type FolderRole } from './domain/folder.js';
export { FOLDER_EVENTS, type FolderEvent } from './domain/mail-change.js';
export type { FolderList } from './application/folder-service.js';
export { Email } from './domain/email.js';
export type * from './application/credential-views.js';
export { MAIL_PROTOCOLS, type MailProtocol } from './domain/mail-protocol.js';
export { DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy } from './domain/login-throttle.js';
export { mailLookupSchema, MAIL_LOOKUP_VERSION } from './infrastructure/mail/lookup-schema.js';
export type {
  Changes,
  CopyResult,
  FetchedEmail,
  FolderChanges,
  FolderStatus,
  MailboxChanges,
  StoreResult,
  ThreadEmail,
  ThreadView,
} from './application/message-store-service.js';
export { JOURNAL_RETENTION_DAYS } from './application/message-store-service.js';
export type { SearchHit, SearchPage, SearchQuery } from './application/message-search.js';
export {
  MAX_SEARCH_PAGE,
  MAX_SEARCH_TEXT,
  MAX_SEARCH_WORDS,
  SEARCHED_BODY_CHARS,
} from './application/message-search.js';
export { MAX_THREAD_REFERENCES, normalizeSubject } from './domain/thread.js';
export type { Envelope, MimePart, AttachmentInfo } from './domain/raw-message.js';
export type {
  ClaimedMessage,
  OutboundOutcome,
  OutboundTicket,
  OutboundService,
} from './application/outbound-service.js';
export {
  DEFAULT_LEASE_SECONDS,
  MAX_CLAIM_BATCH,
  MAX_LEASE_SECONDS,
  OUTBOUND_RETENTION_DAYS,
} from './application/outbound-service.js';
export {
  DEFAULT_OUTBOUND_RETRY,
  OUTBOUND_STATUSES,
  retryDelaySeconds,
  type OutboundRetryPolicy,
  type OutboundStatus,
} from './domain/outbound-message.js';
