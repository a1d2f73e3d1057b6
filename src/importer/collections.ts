import { blockedUsers, contacts } from './mappers/address-book.js';
import { conversationHandlers, conversations, participants } from './mappers/conversations.js';
import { encryptedDevices, encryptedMessageStatuses } from './mappers/encryption.js';
import { files } from './mappers/files.js';
import { organizations, users, userTokens } from './mappers/identity.js';
import { messageReactions, messageStatuses, messages } from './mappers/messages.js';
import { operationsLog, pushEvents, pushSubscriptions } from './mappers/push.js';
import type { CollectionSpec } from './spec.js';

/**
 * The collections imported, in an order where every record comes after what it refers to
 * (organizations → users → conversations → participants → messages → what hangs off messages;
 * devices before the encrypted deliveries that name them).
 */
export const COLLECTIONS: readonly CollectionSpec[] = [
  organizations,
  users,
  userTokens,
  conversations,
  participants,
  conversationHandlers,
  messages,
  messageStatuses,
  messageReactions,
  files,
  contacts,
  blockedUsers,
  pushSubscriptions,
  pushEvents,
  encryptedDevices,
  encryptedMessageStatuses,
  operationsLog,
];

/** SAMA collections that are deliberately not imported, with the reason. */
export const NOT_IMPORTED: Readonly<Record<string, string>> = {
  cluster_nodes: "heartbeats of SAMA's running nodes; Parley's nodes announce themselves",
  old_users: "left behind by SAMA's 2023 users migration; `users` holds the current rows",
  changelog: "SAMA's migration history (migrate-mongo)",
};
