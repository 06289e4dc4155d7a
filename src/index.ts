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
export type * from './application/credential-views.js';
export { MAIL_PROTOCOLS, type MailProtocol } from './domain/mail-protocol.js';
export { DEFAULT_LOGIN_THROTTLE, type LoginThrottlePolicy } from './domain/login-throttle.js';
export { mailLookupSchema, MAIL_LOOKUP_VERSION } from './infrastructure/mail/lookup-schema.js';
