import { getAdminsByCids, getParticipantsByCids } from './conversations/by-cids.js';
import { conversationCreate } from './conversations/create.js';
import { conversationHandlerCreate, conversationHandlerDelete, getConversationHandler } from './conversations/handlers.js';
import { conversationLeave } from './conversations/leave.js';
import { conversationList } from './conversations/list.js';
import { conversationSearch } from './conversations/search.js';
import { conversationSubscribe, conversationUnsubscribe } from './conversations/subscribe.js';
import { conversationUpdate } from './conversations/update.js';
import { blockListEnable, blockUser, listBlockedUsers, unblockUser } from './blocks/block.js';
import { contactAdd, contactBatchAdd, contactDelete, contactList, contactUpdate } from './contacts/contacts.js';
import type { RegisteredHandler } from './define.js';
import { deviceDelete, deviceList, deviceRegister } from './encryption/devices.js';
import { requestKeys } from './encryption/request-keys.js';
import { createFiles, getFileUrls } from './files/files.js';
import { activityStatus, lastActivity, lastActivitySubscribe, lastActivityUnsubscribe, onlineList } from './presence/activity.js';
import { messageCreate } from './messages/create.js';
import { messageDecryptionFailed } from './messages/decryption-failed.js';
import { messageDelete } from './messages/delete.js';
import { messageEdit } from './messages/edit.js';
import { messageList } from './messages/list.js';
import { opLogList } from './messages/op-log-list.js';
import { messageReactionsList, messageReactionsUpdate } from './messages/reactions.js';
import { messageRead } from './messages/read.js';
import { parleyMessageSearch } from './messages/search.js';
import { messageSummary } from './messages/summary.js';
import { systemMessage } from './messages/system.js';
import { messageTone } from './messages/tone.js';
import { typing } from './messages/typing.js';
import { pushEventCreate } from './push/events.js';
import { pushSubscriptionCreate, pushSubscriptionDelete, pushSubscriptionList } from './push/subscriptions.js';
import { scheduledCancel, scheduledList } from './scheduled/manage.js';
import { messageSchedule } from './scheduled/schedule.js';
import { dataExport, dataExportStatus } from './privacy/data-export.js';
import { conversationRetention } from './retention/conversation-retention.js';
import { ping } from './system/ping.js';
import { connect } from './users/connect.js';
import { userCreate } from './users/create.js';
import { userDelete } from './users/delete.js';
import { userEdit } from './users/edit.js';
import { getUsersByIds } from './users/get-by-ids.js';
import { userLogin } from './users/login.js';
import { userLogout } from './users/logout.js';
import { userResetPassword } from './users/reset-password.js';
import { userSearch } from './users/search.js';
import { userSendOtp } from './users/send-otp.js';

/**
 * The single registry of packet handlers, used by the WebSocket dispatcher and the HTTP API
 * alike. One line per packet.
 */
const ALL: readonly RegisteredHandler[] = [
  ping,
  userCreate,
  userLogin,
  connect,
  userLogout,
  userEdit,
  userDelete,
  getUsersByIds,
  userSearch,
  userSendOtp,
  userResetPassword,
  conversationCreate,
  conversationUpdate,
  conversationLeave,
  conversationList,
  conversationSearch,
  getParticipantsByCids,
  getAdminsByCids,
  conversationSubscribe,
  conversationUnsubscribe,
  conversationHandlerCreate,
  getConversationHandler,
  conversationHandlerDelete,
  messageCreate,
  messageEdit,
  messageDelete,
  messageRead,
  messageList,
  typing,
  systemMessage,
  messageReactionsUpdate,
  messageReactionsList,
  messageDecryptionFailed,
  messageSummary,
  messageTone,
  parleyMessageSearch,
  opLogList,
  createFiles,
  getFileUrls,
  blockUser,
  unblockUser,
  listBlockedUsers,
  blockListEnable,
  lastActivitySubscribe,
  lastActivityUnsubscribe,
  lastActivity,
  onlineList,
  activityStatus,
  contactAdd,
  contactBatchAdd,
  contactUpdate,
  contactDelete,
  contactList,
  pushSubscriptionCreate,
  pushSubscriptionList,
  pushSubscriptionDelete,
  pushEventCreate,
  deviceRegister,
  deviceList,
  requestKeys,
  deviceDelete,
  messageSchedule,
  scheduledList,
  scheduledCancel,
  conversationRetention,
  dataExport,
  dataExportStatus,
];

/** Packet name → handler. Duplicate names are a programming error caught at start-up. */
export const HANDLERS: ReadonlyMap<string, RegisteredHandler> = (() => {
  const map = new Map<string, RegisteredHandler>();
  for (const h of ALL) {
    if (map.has(h.kind)) throw new Error(`duplicate handler for packet "${h.kind}"`);
    map.set(h.kind, h);
  }
  return map;
})();
