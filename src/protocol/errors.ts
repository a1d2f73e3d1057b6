/**
 * The SAMA error catalog (protocol.md §12) and the single error class every layer throws.
 *
 * A `SamaError` with a status is serialised as `{status, message}`; one without a status is a
 * "bare string" error (protocol.md §1.5), used where SAMA answers schema failures with the
 * validator's text. Anything that is not a `SamaError` is never shown to a client.
 */
export class SamaError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SamaError';
  }

  /** The `error` value as it goes on the wire. */
  toWire(): { status: number; message: string } | string {
    return this.status === undefined ? this.message : { status: this.status, message: this.message };
  }
}

/** A catalogued error: status and exact message text. */
export interface CatalogEntry {
  readonly status: number;
  readonly message: string;
}

const e = (status: number, message: string): CatalogEntry => ({ status, message });

/** Every status/message pair Parley emits, named by meaning. Texts are SAMA's, byte for byte. */
export const Errors = {
  badRequest: e(400, 'Bad Request.'),
  invalidDataFormat: e(400, 'Bad request - invalid data format'),
  unauthorized: e(401, 'Unauthorized.'),
  badCredentials: e(401, 'Incorrect username or password.'),
  wrongCurrentPassword: e(401, 'The current password you entered is incorrect.'),
  missingCredentials: e(401, 'Missing authentication credentials.'),
  otpSenderMissing: e(401, 'Failed to create OTP sender transporter.'),
  forbidden: e(403, 'Forbidden.'),
  badRecoveryToken: e(403, 'Incorrect token for password recovery.'),
  organizationNotFound: e(404, 'Organization not found'),
  routeNotFound: e(404, 'Route not found'),
  conversationNotFound: e(404, 'Conversation not found.'),
  participantNotFound: e(404, 'ConversationParticipant not found.'),
  tooManyRequests: e(429, 'Too many requests.'),
  incorrectType: e(422, 'The type you entered is incorrect.'),
  incorrectToken: e(422, 'Incorrect token.'),
  tokenExpired: e(422, 'The token has expired.'),
  userIdMissed: e(422, 'User ID missed.'),
  userNotFound: e(422, "We couldn't find the specified user."),
  loginOrPasswordMissing: e(422, "The 'login' or 'password' field is missing."),
  selectAtLeastOneUser: e(422, 'Please select at least one user.'),
  userDataTaken: e(422, 'The provided data is already associated with an existing user account.'),
  tooManyUsersPrivate: e(422, 'There are too many users in the private conversation.'),
  tooManyUsersGroup: e(422, 'There are too many users in the group conversation.'),
  incorrectUser: e(422, 'The specified user is incorrect.'),
  incorrectPassword: e(422, 'The password entered is incorrect.'),
  incorrectLogin: e(422, 'The login provided is incorrect.'),
  deviceIdRequired: e(422, "'device_id' is required."),
  contactNotFound: e(422, 'Contact not found.'),
  contactIdMissed: e(422, 'Contact id is missed.'),
  contactNameMissed: e(422, "'first_name' or 'last_name' is missed."),
  contactEmailOrPhoneMissed: e(422, 'Email or phone is missed.'),
  conversationNameMissing: e(422, "You haven't specified a conversation name."),
  conversationTypeMissed: e(422, 'Conversation type missed.'),
  participantsNotProvided: e(422, 'Participants not provided.'),
  participantLimit: e(422, "You've reached the maximum participant limit."),
  handlerNotFound: e(422, 'Handler for this conversation not found.'),
  fileIdsMissed: e(422, 'File IDS missed.'),
  fileLimit: e(422, "You've exceeded the file limit."),
  fileIdsExceeded: e(422, 'File IDs for get download url exceeded.'),
  incorrectFileName: e(422, 'Incorrect file name.'),
  incorrectFileSize: e(422, 'Incorrect file size.'),
  incorrectContentType: e(422, 'Incorrect content type.'),
  messageIdNotFound: e(422, 'Message ID not found.'),
  messageIdMissed: e(422, 'Message ID missed.'),
  incorrectMessageId: e(422, 'Incorrect message ID.'),
  incorrectRepliedMessageId: e(422, 'Incorrect replied message ID.'),
  messageTypeMissed: e(422, 'Message type missed.'),
  bodyOrAttachmentsRequired: e(422, 'Either message body or attachments required.'),
  blocked: e(422, 'Communication is not possible - you are in a block list of the recipient.'),
  incorrectBodyType: e(422, 'Incorrect type of message body.'),
  invalidAttachmentFields: e(422, 'Invalid attachment fields.'),
  messageBlockedByRules: e(422, 'Message blocked by conversation rules.'),
  incorrectPlatform: e(422, 'Incorrect platform type.'),
  incorrectDeviceId: e(422, 'Incorrect device id.'),
  incorrectKeys: e(422, 'Incorrect keys.'),
  incorrectRecipients: e(422, 'Incorrect recipients IDs.'),
  recipientsNotFound: e(422, 'Recipients not found.'),
  notificationMessageMissed: e(422, 'Notification message missed.'),
  pushRecordNotFound: e(422, 'Push notification record not found.'),
  incorrectIdentityKey: e(422, 'Incorrect identity device key.'),
  incorrectSignedKey: e(422, 'Incorrect signed key.'),
  incorrectOneTimePreKeys: e(422, 'Incorrect one time pre keys.'),
  incorrectUserId: e(422, 'Incorrect user id.'),
  incorrectUsersArray: e(422, 'Incorrect users array.'),
  gtOrLtMissed: e(422, 'Gt or lt query missed.'),
  cidRequired: e(422, "'cid' field is required."),
  cidsRequired: e(422, "'cids' field is required."),
  cidOrUidsRequired: e(422, "'cid' or 'uids' field is required."),
  xRequired: e(422, "'x' field is required."),
  uidsMaxLength: e(422, "'uids' max length 20"),
  payloadTooLarge: e(413, 'Payload too large.'),
  aiFailed: e(500, 'An error occurred while processing messages with the AI agent.'),
  /** Parley's own: message_tone with no AI provider configured (SAMA has no such case); 403 as for the disabled admin API. */
  aiNotConfigured: e(403, 'No AI provider is configured: set AI_BASE_URL and AI_MODEL (an OpenAI-compatible API) or GOOGLE_GENERATIVE_AI_API_KEY (Google Gemini).'),
  /** Parley: no sandbox thread could run the conversation's handler in time (docs/decisions.md). */
  handlerUnavailable: e(503, 'Message refused: the conversation handler could not run, try again.'),
  /** Parley: parley_scheduled_cancel of an id that is not one of the caller's pending schedules (docs/protocol-extensions.md). */
  scheduledNotFound: e(404, 'Scheduled message not found.'),
  /** Parley: parley_message_schedule's send_at is not in the future, or too far ahead. */
  incorrectSendAt: e(422, 'Incorrect send_at: it must be a future time within the scheduling horizon.'),
  /** Parley: the caller already has SCHEDULED_MESSAGES_MAX_PENDING pending schedules. */
  scheduledLimit: e(422, "You've reached the limit of pending scheduled messages."),
  /** Parley: parley_conversation_retention and the admin retention routes (docs/protocol-extensions.md). */
  incorrectRetentionPeriod: e(422, "'seconds' must be an integer from 1 to 3153600000, or null."),
  /** Parley: parley_data_export_status for an id that is not one of the caller's exports. */
  exportNotFound: e(404, 'Export not found.'),
  /** Parley (parley_message_search): a request that is not an object, or has a field the packet does not define. */
  incorrectSearchRequest: e(422, 'Incorrect search request.'),
  /** Parley (parley_message_search): no word, too many words, or a query that is not a string. */
  incorrectSearchQuery: e(422, "'query' must be a string with 1 to 16 words."),
  /** Parley (parley_message_search): a cursor this server did not hand out, or past the last page. */
  incorrectSearchCursor: e(422, 'Incorrect cursor.'),
  /** Parley (parley_message_search): limit not an integer from 1 to 100. */
  incorrectSearchLimit: e(422, "'limit' must be an integer from 1 to 100."),
  internal: e(500, 'Internal server error.'),
} as const satisfies Record<string, CatalogEntry>;

/** Name of a catalogued error. */
export type ErrorName = keyof typeof Errors;

/** Builds the exception for a catalogued error. */
export function samaError(entry: CatalogEntry): SamaError {
  return new SamaError(entry.status, entry.message);
}

/** Builds a bare-string error (no status), as SAMA sends for validator failures. */
export function bareError(message: string): SamaError {
  return new SamaError(undefined, message);
}
