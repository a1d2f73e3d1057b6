import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadOrCreateSecrets } from './secrets.js';

/**
 * Parley's configuration: one typed, documented table. Load order: defaults < JSON file named by
 * `CONFIG_FILE` (keys are the variable names below) < environment. SAMA's variable names are used
 * where SAMA has one. The result is frozen; a bad value stops start-up with a message naming it.
 */

type Kind = 'int' | 'string' | 'bool' | 'enum';
interface Def<T> {
  readonly env: readonly string[];
  readonly kind: Kind;
  readonly default: T;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
}
const int = (env: string | string[], def: number, doc: string, min = 0, max = Number.MAX_SAFE_INTEGER): Def<number> =>
  ({ env: typeof env === 'string' ? [env] : env, kind: 'int', default: def, doc, min, max });
const str = (env: string, def: string, doc: string): Def<string> => ({ env: [env], kind: 'string', default: def, doc });
const optStr = (env: string, doc: string): Def<string | undefined> => ({ env: [env], kind: 'string', default: undefined, doc });
const bool = (env: string, def: boolean, doc: string): Def<boolean> => ({ env: [env], kind: 'bool', default: def, doc });
const oneOf = <T extends string>(env: string, values: readonly T[], def: T, doc: string): Def<T> =>
  ({ env: [env], kind: 'enum', default: def, doc, values });

/** Every setting, its variable name(s), default and meaning. README's table is generated from this. */
export const CONFIG_DEFINITIONS = {
  port: int(['APP_WS_PORT', 'APP_PORT', 'PORT'], 9001, 'Port for WebSocket and HTTP (first of the three names that is set wins).', 0, 65535),
  host: str('BIND_HOST', '0.0.0.0', 'Address to listen on.'),
  nodeName: str('HOSTNAME', hostname(), 'Node name reported by GET /health.'),
  dataDir: str('DATA_DIR', './data', 'Directory for the embedded database, generated secrets and local files.'),
  databaseUrl: optStr('DATABASE_URL', 'A postgres:// URL selects PostgreSQL; unset means embedded SQLite in DATA_DIR.'),
  sqliteSynchronous: oneOf('SQLITE_SYNCHRONOUS', ['FULL', 'NORMAL'] as const, 'FULL', 'Embedded store durability: FULL syncs every commit to disk (an ack survives power loss); NORMAL survives a crash of Parley but not of the machine.'),
  sqliteCheckpointMs: int('SQLITE_CHECKPOINT_MS', 3000, 'Embedded store: ms between WAL checkpoints (copies into the database file). Longer holds up fewer commits and costs less CPU, for a larger WAL file (up to 256 MB kept) that a restart after a crash reads back.', 50, 60_000),
  logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info', 'Log level (pino).'),
  httpAdminApiKey: optStr('HTTP_ADMIN_API_KEY', 'Key for the admin HTTP API (header admin-api-key). Unset: every admin call is refused.'),
  jwtAccessSecret: optStr('JWT_ACCESS_SECRET', 'HMAC secret for access tokens. Unset: generated once and kept in DATA_DIR.'),
  jwtAccessTokenExpiresIn: int('JWT_ACCESS_TOKEN_EXPIRES_IN', 10800, 'Access token lifetime, seconds.', 1),
  jwtRefreshTokenExpiresIn: int('JWT_REFRESH_TOKEN_EXPIRES_IN', 1209600, 'Refresh token lifetime and cookie Max-Age, seconds.', 1),
  cookieSecret: optStr('COOKIE_SECRET', 'Signs the refresh_token cookie. Unset: generated once and kept in DATA_DIR.'),
  cookieSecure: bool('COOKIE_SECURE', true, 'Mark the refresh_token cookie Secure (browsers then send it over HTTPS or localhost only).'),
  corsOrigin: str('CORS_ORIGIN', '*', 'Value of Access-Control-Allow-Origin (comma-separated list allowed).'),
  heartbeatIntervalMs: int('WS_HEARTBEAT_INTERVAL_MS', 25000, 'WebSocket ping interval; a socket that has not answered the previous ping by the next one is dropped (so presence never stays online for a vanished client). 0 turns it off.', 0),
  watchdogPingIntervalMs: int('WATCHDOG_PING_SOCKET_INTERVAL', 0, 'SAMA\'s application-level keep-alive: every this many ms each authenticated socket gets {"response":{"ping":{}}} (no reply expected). 0 = off; WebSocket pings (WS_HEARTBEAT_INTERVAL_MS) find dead sockets either way.', 0),
  maxFrameBytes: int('WS_MAX_FRAME_BYTES', 1048576, 'Largest accepted WebSocket frame. A longer one up to twice this is read and answered 413 Payload too large. with its request id, the socket staying open; beyond twice this it is refused from its header, never read: 413, then close 1009. Also the HTTP body limit.', 1024),
  wsMaxInFlight: int('WS_MAX_IN_FLIGHT', 16, 'Requests of one socket handled at once; later frames wait (the socket is not read meanwhile), none are refused.', 1, 10000),
  wsOutputBudgetBytes: int('WS_OUTPUT_BUDGET_BYTES', 1048576, 'Unsent output (replies and events not yet taken by the client) above which a socket\'s next requests wait until it drains; replies being built count at the size of the socket\'s largest recent frame.', 65536),
  wsMaxBufferedBytes: int('WS_MAX_BUFFERED_BYTES', 8388608, 'Unsent output at which a socket that stopped reading is closed (1013) instead of buffering more.', 65536),
  wsAuthTimeoutMs: int('WS_AUTH_TIMEOUT_MS', 60000, 'A socket that has no logged-in session this long after opening (or after user_logout) is closed with 4003 "authentication timeout" (checked about once a second). 0 = never.', 0),
  wsMaxConnections: int('WS_MAX_CONNECTIONS', 50000, 'Open WebSocket connections per node; beyond it upgrades are answered HTTP 503. 0 = no cap.', 0),
  wsMaxConnectionsPerAddress: int('WS_MAX_CONNECTIONS_PER_ADDRESS', 1000, 'Open WebSocket connections per client address (see TRUSTED_PROXIES); beyond it upgrades are answered HTTP 429. 0 = no cap.', 0),
  trustedProxies: str('TRUSTED_PROXIES', '', 'Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (for per-address limits, WebSocket and HTTP). Empty: the socket peer is the client.'),
  messageMaxXBytes: int('MESSAGE_MAX_X_BYTES', 65536, 'Largest `x` (custom fields) of a stored message, as JSON bytes; larger is answered 413 Payload too large.', 2),
  messageMaxAttachmentsBytes: int('MESSAGE_MAX_ATTACHMENTS_BYTES', 65536, 'Largest `attachments` array of a stored message, as JSON bytes; larger is answered 413 Payload too large.', 2),
  scheduledMaxAheadS: int('SCHEDULED_MESSAGES_MAX_AHEAD_S', 31536000, 'How far ahead parley_message_schedule may set send_at, seconds (default a year); later is answered 422.', 1),
  scheduledMaxPending: int('SCHEDULED_MESSAGES_MAX_PENDING', 100, 'Pending scheduled messages per user; one more is answered 422 until one is sent or cancelled.', 1),
  scheduledPollIntervalMs: int('SCHEDULED_MESSAGES_POLL_INTERVAL_MS', 5000, 'Every node looks for due scheduled messages at least this often, ms (besides waking at the next known send time): how late a message scheduled on a node that died goes out at most, lease aside.', 10),
  scheduledLeaseMs: int('SCHEDULED_MESSAGES_LEASE_MS', 30000, 'How long a node holds the scheduled messages it took to send; a node that dies holding some lets another node send them after this, ms.', 100),
  scheduledBatchSize: int('SCHEDULED_MESSAGES_BATCH_SIZE', 100, 'Due scheduled messages taken per round by one node.', 1, 10000),
  chatBotLogin: optStr('CHAT_BOT_LOGIN', 'Login of the account that posts conversation handlers\' bot replies (RESOLVE without isReplaceBody); it must exist in the conversation\'s organization, else no bot reply is sent. Unset: no bot replies.'),
  handlerTimeoutMs: int('CONVERSATION_HANDLER_TIMEOUT_MS', 3000, 'Wall time of one conversation handler run, FETCH waits included, ms. A run past it fails (the message is refused); its thread is stopped and replaced if it does not stop by itself.', 10, 600000),
  handlerMemoryBytes: int('CONVERSATION_HANDLER_MEMORY_BYTES', 33554432, 'Heap of one conversation handler run (its own QuickJS runtime), bytes.', 1048576, 2147483647),
  handlerOutputBytes: int('CONVERSATION_HANDLER_OUTPUT_BYTES', 262144, 'Largest result of a conversation handler run (its decision as JSON), characters.', 1024),
  handlerSourceMaxBytes: int('CONVERSATION_HANDLER_SOURCE_MAX_BYTES', 65536, 'Largest handler script conversation_handler_create accepts, bytes; larger is answered 413 Payload too large.', 16),
  handlerThreads: int('CONVERSATION_HANDLER_THREADS', 2, 'Worker threads running conversation handlers (started on first use). Conversations without a handler never wait for them.', 1, 256),
  handlerFetchTimeoutMs: int('CONVERSATION_HANDLER_FETCH_TIMEOUT_MS', 2000, 'Deadline of one FETCH made by a handler, ms (also bounded by the run\'s own time limit).', 1),
  handlerFetchMaxBytes: int('CONVERSATION_HANDLER_FETCH_MAX_BYTES', 1048576, 'Largest response body a handler\'s FETCH reads, bytes; a larger one fails the request ({ok: false, status: 500}).', 1),
  handlerFetchMaxCalls: int('CONVERSATION_HANDLER_FETCH_MAX_CALLS', 10, 'FETCH calls allowed per handler run; later ones fail at once.', 0, 1000),
  handlerFetchAllow: str('CONVERSATION_HANDLER_FETCH_ALLOW', '', 'Comma-separated IP addresses or CIDR ranges a handler\'s FETCH may reach although they are not public (loopback, private, link-local, unique-local... are refused otherwise), e.g. an internal API at 10.0.5.0/24.'),
  smtpUrl: optStr('SMTP_URL', 'SMTP server for password-reset codes, e.g. smtp://user:pass@host:587. Unset: user_send_otp answers an error.'),
  mailFrom: str('MAIL_FROM', 'Parley <no-reply@localhost>', 'Sender address of password-reset mails.'),
  otpExpiresIn: int('SERVICE_OTP_TOKEN_EXPIRES_IN', 900, 'Password-reset code lifetime, seconds.', 1),
  passwordHashMemoryKib: int('PASSWORD_HASH_MEMORY_KIB', 19456, 'argon2id memory per password hash, KiB (OWASP minimum 19456; lower only for load tests).', 1024),
  passwordHashPasses: int('PASSWORD_HASH_PASSES', 2, 'argon2id passes per password hash.', 1, 10),
  loginAttemptsPerLogin: int('LOGIN_RATE_LIMIT_PER_LOGIN', 10, 'Failed logins allowed for one login name from one client address per LOGIN_RATE_LIMIT_WINDOW_S; then that address waits (429) for that login only, so a guesser never locks the owner out.', 1),
  loginAttemptsPerAddress: int('LOGIN_RATE_LIMIT_PER_ADDRESS', 30, 'Failed logins allowed per client address per minute, over all login names.', 1),
  loginRateLimitWindowS: int('LOGIN_RATE_LIMIT_WINDOW_S', 900, 'Window of the per-login counters, seconds.', 1),
  loginGuardThreshold: int('LOGIN_GUARD_THRESHOLD', 100, 'Failed logins of one login name from all addresses per window past which it is guarded: addresses and devices that logged in as that user before keep working, other sources share one attempt per LOGIN_GUARD_INTERVAL_MS.', 1),
  loginGuardIntervalMs: int('LOGIN_GUARD_INTERVAL_MS', 1000, 'While a login is guarded, one attempt per this many ms from sources it has not logged in from.', 1),
  conversationMaxParticipants: int('CONVERSATION_MAX_PARTICIPANTS', 50, 'Participant cap of groups and channels.', 2),
  conversationPreloadCount: int('CONVERSATION_PRELOAD_COUNT', 30, 'Default and maximum conversation_list page.', 1),
  messagePreloadCount: int('MESSAGE_PRELOAD_COUNT', 30, 'Default and maximum message_list page.', 1),
  searchPreloadCount: int('SEARCH_PRELOAD_COUNT', 30, 'Default and maximum user_search / conversation_search page.', 1),
  conversationNotificationsEnabled: bool('CONVERSATION_NOTIFICATIONS_ENABLED', true, 'Send conversation events and participant system messages.'),
  conversationDisableChannelsLogic: bool('CONVERSATION_DISABLE_CHANNELS_LOGIC', false, 'Turn off channel restrictions.'),
  operationsLogExpiresIn: int('OPERATIONS_LOG_EXPIRES_IN', 1209600, 'Operations-log retention, seconds.', 1),
  encryptionDeviceExpiresIn: int('ENCRYPTION_DEVICE_TOKEN_EXPIRES_IN', 2592000, 'Lifetime of a device\'s end-to-end key bundle (device_register), seconds; registering again renews it. An expired bundle is not listed, handed out or queued for.', 1),
  encryptionMessageExpiredIn: int('ENCRYPTION_MESSAGE_EXPIRED_IN', 2592000, 'Messages with encrypted_message_type are deleted this many seconds after they were sent, and a device that has not listed a message of an encrypted conversation by then no longer gets it.', 1),
  encryptionMaxDevices: int('ENCRYPTION_MAX_DEVICES', 20, 'Key bundles kept per user; registering one more removes the bundle registered longest ago (with its queued messages). Each message of an encrypted conversation is queued once per bundle of its recipients.', 1, 1000),
  publicUrl: optStr('PUBLIC_URL', 'Base URL clients reach this node at (e.g. https://chat.example.com), used in the local file driver\'s URLs. Unset: http://localhost:<port> when listening on every address, else http://<BIND_HOST>:<port>.'),
  storageDriver: oneOf('STORAGE_DRIVER', ['local', 's3', 'minio', 'spaces'] as const, 'local', 'Where file bytes live: local (DATA_DIR/files, served by Parley) or an S3-compatible service (s3, minio, spaces: all use the S3_* settings).'),
  fileUploadUrlExpiresIn: int('FILE_UPLOAD_URL_EXPIRES_IN', 3600, 'Upload URL lifetime, seconds.', 1, 604800),
  fileDownloadUrlExpiresIn: int('FILE_DOWNLOAD_URL_EXPIRES_IN', 86400, 'Minimum download URL lifetime, seconds (URLs are reused for up to an hour more, so clients can cache).', 1, 518400),
  fileMaxSize: int('FILE_MAX_SIZE', 104857600, 'Largest file create_files accepts, bytes.', 1),
  fileMaxRequestSize: int('FILE_MAX_REQUEST_SIZE', 524288000, 'Largest total size of the files of one create_files request, bytes.', 1),
  fileAllowedContentTypes: str('FILE_ALLOWED_CONTENT_TYPES', '*', 'Comma-separated content types create_files accepts; "image/*" style wildcards; "*" accepts any.'),
  fileUnattachedExpiresIn: int('FILE_UNATTACHED_EXPIRES_IN', 86400, 'Files never attached to a message, avatar or conversation image are deleted after this many seconds.', 1),
  fileCleanupIntervalMs: int('FILE_CLEANUP_INTERVAL_MS', 600000, 'How often unattached files are looked for and deleted.', 100),
  retentionSweepIntervalMs: int('RETENTION_SWEEP_INTERVAL_MS', 60000, 'How often messages older than their retention period (parley_conversation_retention, the organization default) are deleted, with files no longer referenced; every node sweeps, each message is deleted and announced once.', 100),
  dataExportExpiresIn: int('DATA_EXPORT_EXPIRES_IN', 86400, 'A personal data export (parley_data_export, the admin API) and its download URL are deleted this many seconds after it was requested.', 1),
  dataExportMinInterval: int('DATA_EXPORT_MIN_INTERVAL', 3600, 'A user may request one personal data export per this many seconds (429 otherwise); admins are not limited.', 0),
  dataExportPollIntervalMs: int('DATA_EXPORT_POLL_INTERVAL_MS', 2000, 'How often each node looks for export jobs to build (one at a time, cluster-wide) and deletes expired ones.', 50),
  retentionSweepBatch: int('RETENTION_SWEEP_BATCH', 500, 'Messages deleted per transaction by the retention sweeper; a run does at most 20 batches.', 1, 10000),
  fileUrlSecret: optStr('FILE_URL_SECRET', 'HMAC key of the local driver\'s file URLs. Unset: generated once and kept in DATA_DIR.'),
  s3AccessKey: optStr('S3_ACCESS_KEY', 'S3 access key id (S3 drivers).'),
  s3SecretKey: optStr('S3_SECRET_KEY', 'S3 secret access key (S3 drivers).'),
  s3Endpoint: optStr('S3_ENDPOINT', 'S3 endpoint URL, e.g. http://127.0.0.1:9000 for MinIO or https://fra1.digitaloceanspaces.com. Unset: AWS.'),
  s3BucketName: optStr('S3_BUCKET_NAME', 'Bucket for files (S3 drivers; required there).'),
  s3Region: str('S3_REGION', 'us-east-1', 'S3 region.'),
  s3ForcePathStyle: bool('S3_FORCE_PATH_STYLE', false, 'Address the bucket in the path rather than the host name (always on for STORAGE_DRIVER=minio).'),
  s3CreateBucket: bool('S3_CREATE_BUCKET', false, 'Create the bucket at start-up when it does not exist.'),
  shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 10000, 'How long SIGTERM waits for in-flight work before closing.', 0),
  pushDriver: oneOf('PUSH_DRIVER', ['native', 'sama-queue'] as const, 'native', 'How pushes leave the outbox: native sends them with the Web Push, APNs and FCM settings below (each optional); sama-queue hands them to SAMA\'s push daemon as jobs in Redis that BullMQ 5 and Bull 4 consumers take (REDIS_URL, SAMA_NATIVE_PUSH_QUEUE_NAME); the daemon neither retries failed sends nor removes gone subscriptions (see Push notifications). With nothing configured, pushes wait in the outbox and a start-up warning says so.'),
  pushPollIntervalMs: int('PUSH_POLL_INTERVAL_MS', 500, 'How often the push worker looks for due pushes when the outbox is idle, ms.', 10),
  pushBatchSize: int('PUSH_BATCH_SIZE', 100, 'Pushes leased and sent per round.', 1, 10000),
  pushSendTimeoutMs: int('PUSH_SEND_TIMEOUT_MS', 10000, 'Deadline of one request to a push service, ms; a timeout is retried. A leased push is taken again after 4 times this if its node died.', 100),
  pushMaxAttempts: int('PUSH_MAX_ATTEMPTS', 8, 'Tries per push before it is given up (logged and removed). With sama-queue also the attempts of each job, made when the consumer\'s processing throws.', 1, 100),
  pushRetryBaseMs: int('PUSH_RETRY_BASE_MS', 5000, 'First retry delay after a transient failure, ms; doubles per try (with jitter). With sama-queue also the exponential back-off of each job (no cap, no jitter).', 1),
  pushRetryMaxMs: int('PUSH_RETRY_MAX_MS', 3600000, 'Longest retry delay, ms (not applied to a sama-queue job\'s back-off).', 1),
  pushCaFile: optStr('PUSH_CA_FILE', 'PEM file of extra CA certificates trusted for push services (TLS-intercepting proxies, tests).'),
  webPushVapidPublicKey: optStr('WEB_PUSH_VAPID_PUBLIC_KEY', 'VAPID public key (base64url) for Web Push; with the private key and subject it enables Web Push. Generate with `npx web-push generate-vapid-keys`.'),
  webPushVapidPrivateKey: optStr('WEB_PUSH_VAPID_PRIVATE_KEY', 'VAPID private key (base64url) for Web Push.'),
  webPushVapidSubject: optStr('WEB_PUSH_VAPID_SUBJECT', 'VAPID contact, a mailto: or https: URL.'),
  webPushTtl: int('WEB_PUSH_TTL', 86400, 'How long a Web Push service keeps an undelivered push, seconds.', 0),
  apnsKeyFile: optStr('APNS_KEY_FILE', 'APNs token-auth signing key (.p8 PEM file); with APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC it enables iOS pushes.'),
  apnsKeyId: optStr('APNS_KEY_ID', 'Key ID of the APNs signing key.'),
  apnsTeamId: optStr('APNS_TEAM_ID', 'Apple developer team ID (the token issuer).'),
  apnsTopic: optStr('APNS_TOPIC', 'The app\'s bundle ID (apns-topic).'),
  apnsEnvironment: oneOf('APNS_ENVIRONMENT', ['production', 'sandbox'] as const, 'production', 'APNs environment: production (api.push.apple.com) or sandbox (api.sandbox.push.apple.com, development builds).'),
  apnsUrl: optStr('APNS_URL', 'APNs origin overriding APNS_ENVIRONMENT, e.g. https://127.0.0.1:8443 (tests, proxies).'),
  fcmServiceAccountFile: optStr('FCM_SERVICE_ACCOUNT_FILE', 'Firebase service-account JSON file; enables Android pushes through FCM HTTP v1.'),
  fcmProjectId: optStr('FCM_PROJECT_ID', 'Firebase project ID; default: project_id of the service account.'),
  fcmTokenUrl: optStr('FCM_TOKEN_URL', 'OAuth2 token endpoint; default: token_uri of the service account, else https://oauth2.googleapis.com/token.'),
  fcmUrl: str('FCM_URL', 'https://fcm.googleapis.com', 'FCM API origin (messages are POSTed to <FCM_URL>/v1/projects/<id>/messages:send).'),
  redisUrl: optStr('REDIS_URL', 'Redis, e.g. redis://127.0.0.1:6379. With DATABASE_URL the node joins the cluster of every node on that Redis and database (README: Running several nodes); with the embedded store only for PUSH_DRIVER=sama-queue.'),
  nodeId: optStr('NODE_ID', 'Name of this node in the cluster, logs, /health and /metrics. Unset: the host name and a random suffix, new at every start.'),
  clusterNodeTtlMs: int('CLUSTER_NODE_TTL_MS', 6000, 'A node that has not renewed its heartbeat for this long is dead: its users go offline on every node. Heartbeats go out every third of it.', 300),
  clusterWorkers: str('CLUSTER_WORKERS', '0', 'Run this many nodes as worker processes sharing the port (node:cluster), each a cluster node with its own NODE_ID (<NODE_ID>-w<n>); auto = one per CPU core. Needs cluster mode (REDIS_URL with DATABASE_URL). 0 = one process.'),
  clusterReconcileMs: int('CLUSTER_RECONCILE_MS', 2000, 'How often a node repairs its view of the other nodes from the registry in Redis (reading only the entries changed since its last look; this repairs lost bus events) and reaps dead nodes, ms.', 100),
  clusterGapWaitMs: int('CLUSTER_GAP_WAIT_MS', 100, 'In a cluster, how long a node holds a message whose predecessor in its conversation has not reached it over Redis before reading the missing ones from PostgreSQL, ms (messages reach every socket in one order).', 1),
  samaPushQueueName: str('SAMA_NATIVE_PUSH_QUEUE_NAME', 'push_notifications', 'Queue SAMA\'s push daemon consumes (PUSH_DRIVER=sama-queue; the daemon\'s SAMA_PUSH_QUEUE_NAME); keys `bull:<name>:*`.'),
  aiBaseUrl: optStr('AI_BASE_URL', 'OpenAI-compatible chat-completions API for message_summary and message_tone, e.g. https://api.openai.com/v1, http://127.0.0.1:8080/v1 (llama.cpp), http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:8000/v1 (vLLM); requests go to <AI_BASE_URL>/chat/completions. Needs AI_MODEL. Unset: Gemini if GOOGLE_GENERATIVE_AI_API_KEY is set, else no AI (summaries are extracted locally, message_tone answers an error).'),
  aiApiKey: optStr('AI_API_KEY', 'Bearer token for AI_BASE_URL (local servers usually need none).'),
  aiModel: optStr('AI_MODEL', 'Model name sent to AI_BASE_URL, e.g. gpt-4o-mini or llama3.2.'),
  googleAiApiKey: optStr('GOOGLE_GENERATIVE_AI_API_KEY', 'Gemini API key (as SAMA): enables message_summary and message_tone through Google Gemini.'),
  googleAiModel: str('GOOGLE_GENERATIVE_AI_MODEL', 'gemini-2.5-flash', 'Gemini model (as SAMA).'),
  googleAiBaseUrl: str('GOOGLE_GENERATIVE_AI_BASE_URL', 'https://generativelanguage.googleapis.com', 'Gemini API origin; requests go to <this>/v1beta/models/<model>:generateContent.'),
  aiTimeoutMs: int('AI_TIMEOUT_MS', 30000, 'Deadline of one request to the AI provider, ms; past it the client gets 500 "An error occurred while processing messages with the AI agent."', 100),
  aiMaxInputChars: int('AI_MAX_INPUT_CHARS', 20000, 'Most characters of chat text sent to the AI provider per request: a summary keeps the newest messages that fit; a longer message_tone body is refused (413).', 200),
  aiRateLimitPerMinute: int('AI_RATE_LIMIT_PER_MINUTE', 10, 'message_summary and message_tone requests allowed per user per minute (counted cluster-wide in a cluster); beyond it 429 Too many requests. 0 = no limit.', 0),
} as const;

type Defs = typeof CONFIG_DEFINITIONS;
type ValueOf<D> = D extends Def<infer T> ? T : never;

/** The loaded configuration, secrets resolved. */
export type Config = { readonly [K in keyof Defs]: ValueOf<Defs[K]> } & {
  readonly jwtAccessSecret: string;
  readonly cookieSecret: string;
  readonly fileUrlSecret: string;
};

/** Raised for any invalid setting; main.ts prints it and exits non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseValue(key: string, def: Def<unknown>, raw: string): unknown {
  switch (def.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${key} must be a whole number, got "${raw}"`);
      const n = Number(raw);
      if (n < (def.min ?? 0) || n > (def.max ?? Number.MAX_SAFE_INTEGER)) {
        throw new ConfigError(`${key} must be between ${String(def.min)} and ${String(def.max)}, got ${raw}`);
      }
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return true;
      if (['false', '0', 'no'].includes(v)) return false;
      throw new ConfigError(`${key} must be true or false, got "${raw}"`);
    }
    case 'enum':
      if (!def.values?.includes(raw)) throw new ConfigError(`${key} must be one of ${def.values?.join(', ') ?? ''}, got "${raw}"`);
      return raw;
    case 'string':
      return raw;
  }
}

function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`CONFIG_FILE ${path} could not be read as JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`CONFIG_FILE ${path} must hold a JSON object`);
  const known = new Set(Object.values(CONFIG_DEFINITIONS).flatMap((d) => d.env));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!known.has(k)) throw new ConfigError(`CONFIG_FILE ${path}: unknown setting "${k}"`);
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** Settings that only work together: all or none of each group; the queue needs Redis. */
function checkPushSettings(out: Record<string, unknown>): void {
  const groups: [string, string[]][] = [
    ['Web Push', ['webPushVapidPublicKey', 'webPushVapidPrivateKey', 'webPushVapidSubject']],
    ['APNs', ['apnsKeyFile', 'apnsKeyId', 'apnsTeamId', 'apnsTopic']],
  ];
  const envName = (k: string): string => CONFIG_DEFINITIONS[k as keyof typeof CONFIG_DEFINITIONS].env[0] ?? k;
  for (const [name, keys] of groups) {
    const missing = keys.filter((k) => out[k] === undefined);
    if (missing.length > 0 && missing.length < keys.length) throw new ConfigError(`${name} needs ${keys.map(envName).join(', ')}; missing ${missing.map(envName).join(', ')}`);
  }
  if (out.pushDriver === 'sama-queue' && out.redisUrl === undefined) throw new ConfigError('PUSH_DRIVER=sama-queue needs REDIS_URL');
  if (out.redisUrl !== undefined && !/^rediss?:\/\//.test(out.redisUrl as string)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
}

/**
 * One AI provider at most: AI_BASE_URL (OpenAI-compatible, with AI_MODEL) or Gemini
 * (GOOGLE_GENERATIVE_AI_API_KEY). Both set would leave it unclear which one gets the chat text.
 */
function checkAiSettings(out: Record<string, unknown>): void {
  const base = out.aiBaseUrl as string | undefined;
  if (base !== undefined) {
    if (!/^https?:\/\/[^/]+/.test(base)) throw new ConfigError(`AI_BASE_URL must be an http(s) URL, got "${base}"`);
    if (out.aiModel === undefined) throw new ConfigError('AI_BASE_URL needs AI_MODEL (the model name the server expects)');
    if (out.googleAiApiKey !== undefined) throw new ConfigError('Both AI_BASE_URL and GOOGLE_GENERATIVE_AI_API_KEY are set: unset one, so it is clear which AI provider gets the chat text');
  }
  const google = out.googleAiBaseUrl as string;
  if (!/^https?:\/\/[^/]+/.test(google)) throw new ConfigError(`GOOGLE_GENERATIVE_AI_BASE_URL must be an http(s) URL, got "${google}"`);
}

/** Which AI provider the settings select (see checkAiSettings); none means no AI. */
export function aiProvider(config: Config): 'openai' | 'gemini' | 'none' {
  if (config.aiBaseUrl !== undefined) return 'openai';
  return config.googleAiApiKey !== undefined ? 'gemini' : 'none';
}

/** Each comma-separated entry must be an IP address or an IP/prefix CIDR range. */
function checkAddressList(name: string, value: string): void {
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [addr = '', prefix] = entry.split('/');
    const family = isIP(addr);
    const bitsOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
    if (family === 0 || !bitsOk) throw new ConfigError(`${name}: "${entry}" is not an IP address or CIDR range`);
  }
}

/**
 * Cluster mode (REDIS_URL with DATABASE_URL) needs what every node must share set explicitly: a
 * secret generated per node would make one node refuse the tokens, cookies and file URLs of
 * another. The embedded store cannot be shared, so REDIS_URL with it is refused unless it only
 * serves SAMA's push queue.
 */
function checkClusterSettings(out: Record<string, unknown>): void {
  if (out.redisUrl === undefined) return;
  if (out.databaseUrl === undefined) {
    if (out.pushDriver === 'sama-queue') return;
    throw new ConfigError('REDIS_URL makes this node join a cluster, and a cluster needs PostgreSQL (DATABASE_URL): the embedded store serves one node. Set DATABASE_URL, or unset REDIS_URL.');
  }
  const shared: [string, unknown][] = [['JWT_ACCESS_SECRET', out.jwtAccessSecret], ['COOKIE_SECRET', out.cookieSecret]];
  if (out.storageDriver === 'local') shared.push(['FILE_URL_SECRET', out.fileUrlSecret]);
  const missing = shared.filter(([, v]) => v === undefined).map(([name]) => name);
  if (missing.length > 0) throw new ConfigError(`Cluster mode (REDIS_URL with DATABASE_URL) needs ${missing.join(', ')} set to the same value on every node; generated per node they would not be shared.`);
}

/** How many worker processes CLUSTER_WORKERS asks for (0: this process is the node). */
export function workerCount(config: Config, cores: number): number {
  return config.clusterWorkers === 'auto' ? cores : Number(config.clusterWorkers);
}

/** True when this node is one of a cluster (REDIS_URL with DATABASE_URL). */
export function isClustered(config: Config): boolean {
  return config.redisUrl !== undefined && config.databaseUrl !== undefined;
}

/**
 * Loads the configuration from `env` (normally process.env). Throws ConfigError on any bad value.
 * Secrets left unset are generated once and kept in DATA_DIR (never a fixed default).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const fileValues = env.CONFIG_FILE ? readConfigFile(env.CONFIG_FILE) : {};
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(CONFIG_DEFINITIONS) as [string, Def<unknown>][]) {
    let value: unknown = def.default;
    for (const source of [fileValues, env]) {
      const name = def.env.find((n) => source[n] !== undefined && source[n] !== '');
      if (name !== undefined) value = parseValue(name, def, source[name] ?? '');
    }
    out[key] = value;
  }
  const dbUrl = out.databaseUrl as string | undefined;
  if (dbUrl !== undefined && !/^postgres(ql)?:\/\//.test(dbUrl)) {
    throw new ConfigError(`DATABASE_URL must be a postgres:// URL (unset it for the embedded store), got "${dbUrl.replace(/\/\/[^@]*@/, '//***@')}"`);
  }
  checkPushSettings(out);
  checkClusterSettings(out);
  const workers = out.clusterWorkers as string;
  if (!/^(auto|\d+)$/.test(workers)) throw new ConfigError(`CLUSTER_WORKERS must be auto or a whole number, got "${workers}"`);
  if (workers !== '0' && (out.redisUrl === undefined || out.databaseUrl === undefined)) throw new ConfigError('CLUSTER_WORKERS runs several nodes, which needs cluster mode: set REDIS_URL and DATABASE_URL (PostgreSQL).');
  out.nodeId ??= `${hostname()}-${randomBytes(3).toString('hex')}`;
  out.dataDir = resolve(out.dataDir as string);
  if (!out.jwtAccessSecret || !out.cookieSecret || !out.fileUrlSecret) {
    const secrets = loadOrCreateSecrets(out.dataDir as string);
    out.jwtAccessSecret ??= secrets.jwtAccessSecret;
    out.cookieSecret ??= secrets.cookieSecret;
    out.fileUrlSecret ??= secrets.fileUrlSecret;
  }
  if (out.storageDriver !== 'local') {
    const needed: [string, unknown][] = [['S3_BUCKET_NAME', out.s3BucketName], ['S3_ACCESS_KEY', out.s3AccessKey], ['S3_SECRET_KEY', out.s3SecretKey]];
    const missing = needed.filter(([, v]) => v === undefined).map(([name]) => name);
    if (missing.length > 0) throw new ConfigError(`STORAGE_DRIVER=${String(out.storageDriver)} needs ${missing.join(', ')}`);
  }
  checkAiSettings(out);
  checkAddressList('TRUSTED_PROXIES', out.trustedProxies as string);
  checkAddressList('CONVERSATION_HANDLER_FETCH_ALLOW', out.handlerFetchAllow as string);
  const publicUrl = out.publicUrl as string | undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl)) throw new ConfigError(`PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  return Object.freeze(out) as Config;
}
