import { AddressSchema, AliasSchema, MailboxSchema } from './mappings/address-mapping.js';
import { AppPasswordSchema, LoginThrottleSchema, MailboxPasswordSchema } from './mappings/credential-mapping.js';
import { DeliveryReceiptSchema } from './mappings/delivery-receipt-mapping.js';
import { MailboxUsageSchema } from './mappings/mailbox-usage-mapping.js';
import { DomainSchema } from './mappings/domain-mapping.js';
import { EmailSchema } from './mappings/email-mapping.js';
import { FolderSchema } from './mappings/folder-mapping.js';
import { OutboundMessageSchema } from './mappings/outbound-mapping.js';
import { OutboxEventSchema, OutboxKeySchema } from './mappings/outbox-mapping.js';
import { MailboxStateSchema, MailChangeSchema, StoredMessageSchema } from './mappings/message-store-mapping.js';
import { UserSchema } from './mappings/user-mapping.js';

/** Every mapped entity; the ORM configuration discovers exactly these. */
export const entities = [
  UserSchema,
  DomainSchema,
  AddressSchema,
  MailboxSchema,
  MailboxUsageSchema,
  AliasSchema,
  FolderSchema,
  EmailSchema,
  MailboxPasswordSchema,
  AppPasswordSchema,
  LoginThrottleSchema,
  OutboxEventSchema,
  OutboxKeySchema,
  StoredMessageSchema,
  MailboxStateSchema,
  MailChangeSchema,
  DeliveryReceiptSchema,
  OutboundMessageSchema,
];
