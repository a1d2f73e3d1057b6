import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { ScheduledDispatcher, type ScheduledSend } from './domain/scheduled-dispatcher.js';
import type { HandlerDeps } from './handlers/define.js';
import { messageCreate } from './handlers/messages/create.js';
import { SamaError } from './protocol/errors.js';
import type { Store } from './store/store.js';
import type { Dispatcher } from './transport/dispatch.js';

/**
 * The device a scheduled message is sent from. Device ids are at least one character long, so
 * no real device has this one: every device of the author gets the message as a carbon.
 */
const SCHEDULED_DEVICE = '';

/**
 * Sends a scheduled message exactly as a live `message` packet from its author: the same
 * handler (checks, conversation handler script, group-committed insert, `ask` built from the
 * committed record) run by the same dispatcher (per-conversation order, then deliveries, carbons,
 * pushes and op-log rows). The message's time is the send time. A refusal (a catalogued 4xx:
 * the author left or is blocked, the conversation is gone) is the schedule's outcome; a 5xx or
 * any other error is transient and thrown, so the row is tried again.
 */
export function scheduledSender(dispatcher: Dispatcher, deps: HandlerDeps): ScheduledSend {
  return async (row) => {
    const session = { orgId: row.organization_id, userId: row.from, deviceId: SCHEDULED_DEVICE };
    try {
      const result = await dispatcher.execute(messageCreate, row.content, { session, address: 'scheduled', deps, now: Date.now() });
      const ask = result.packet?.ask as { server_mid?: unknown } | undefined;
      if (typeof ask?.server_mid !== 'string') throw new Error('message handler gave no server_mid');
      return { kind: 'sent', serverMid: ask.server_mid };
    } catch (err) {
      if (err instanceof SamaError && (err.status === undefined || err.status < 500)) return { kind: 'refused', error: err.message };
      throw err;
    }
  };
}

/** The scheduled-message dispatcher of this node, configured (not started). */
export function createScheduledDispatcher(config: Config, store: Store, send: ScheduledSend, log: Logger): ScheduledDispatcher {
  return new ScheduledDispatcher(store.scheduledMessages, send, {
    owner: config.nodeId ?? 'single',
    batchSize: config.scheduledBatchSize,
    pollIntervalMs: config.scheduledPollIntervalMs,
    leaseMs: config.scheduledLeaseMs,
    maxAttempts: 5,
    keepFinishedMs: 7 * 24 * 3600 * 1000,
  }, log);
}
