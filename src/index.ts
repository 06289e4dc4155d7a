/** What consumers import: open the data layer, call the services, catch domain errors. */
export { type Aether, type AetherOptions, openAether } from './infrastructure/aether.js';
export type { DatabaseSettings } from './infrastructure/database/database-settings.js';
export { resolveDatabaseSettings } from './infrastructure/database/database-settings.js';
export type { UnitOfWork } from './application/unit-of-work.js';
export type { DeliveryReport, FolderPage } from './application/mail-service.js';
export type { EmailCount, MailboxStatistics, UserStatistics } from './application/statistics-service.js';
export type * from './application/views.js';
export * from './domain/errors.js';
export { MESSAGE_LIMITS, type MessageInput } from './domain/message.js';
export type { DomainLimits, TxtResolver } from './domain/domain.js';
export type { EmailFlags } from './domain/email.js';
export { EmailAddress } from './domain/email-address.js';
export { DomainName } from './domain/domain-name.js';
export type {
  Changes,
  CopyResult,
  FetchedEmail,
  FolderChanges,
  FolderStatus,
  StoreResult,
} from './application/message-store-service.js';
export { JOURNAL_RETENTION_DAYS } from './application/message-store-service.js';
export type { Envelope, MimePart, AttachmentInfo } from './domain/raw-message.js';
