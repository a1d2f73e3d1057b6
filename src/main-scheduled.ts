import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { ScheduledDispatcher, type ScheduledSend, type ScheduledSendOutcome, type ScheduledSendRetry } from './domain/scheduled-dispatcher.js';
import type { HandlerDeps } from './handlers/define.js';
import { messageCreate } from './handlers/messages/create.js';
import { Errors, SamaError } from './protocol/errors.js';
import type { ScheduledMessage, Store } from './store/store.js';
import type { Dispatcher } from './transport/dispatch.js';
import type { Metrics } from './transport/metrics.js';

/**
 * The device a scheduled message is sent from. Device ids are at least one character long, so
 * no real device has this one: every device of the author gets the message as a carbon.
 */
const SCHEDULED_DEVICE = '';

/**
 * Sends scheduled messages exactly as live `message` packets from their authors: the same
 * handler (checks, conversation handler script, group-committed insert, `ask` built from the
 * committed record) run by the same dispatcher (per-conversation order, then deliveries,
 * carbons, pushes and op-log rows), at the time of sending. A live message needs a signed-in
 * author; here the author's account must still exist (a deleted one is refused `Unauthorized.`).
 * A refusal (a catalogued 4xx: the author left or is blocked, the conversation is gone) is the
 * schedule's outcome; a 5xx or any other error is a retry.
 */
export function scheduledSender(dispatcher: Dispatcher, deps: HandlerDeps): ScheduledSend {
  const sendOne = async (row: ScheduledMessage): Promise<ScheduledSendOutcome | ScheduledSendRetry> => {
    const session = { orgId: row.organization_id, userId: row.from, deviceId: SCHEDULED_DEVICE };
    try {
      const result = await dispatcher.execute(messageCreate, row.content, { session, address: 'scheduled', deps, now: Date.now() });
      const ask = result.packet?.ask as { server_mid?: unknown } | undefined;
      if (typeof ask?.server_mid !== 'string') return { kind: 'retry', err: new Error('message handler gave no server_mid') };
      return { kind: 'sent', serverMid: ask.server_mid };
    } catch (err) {
      if (err instanceof SamaError && (err.status === undefined || err.status < 500)) return { kind: 'refused', error: err.message };
      return { kind: 'retry', err };
    }
  };
  return async (rows) => {
    const authors = new Map<string, { organization_id: string; from: string }>();
    for (const r of rows) authors.set(`${r.organization_id}:${r.from}`, r);
    const found = new Set<string>();
    await Promise.all([...authors].map(async ([key, r]) => {
      if (await deps.store.users.byId(r.organization_id, r.from)) found.add(key);
    }));
    // Started in the given order, all before any await: each send takes its place in its
    // conversation's order at once (Dispatcher.execute), so send_at order is kept.
    return Promise.all(rows.map((r) => (found.has(`${r.organization_id}:${r.from}`) ? sendOne(r) : Promise.resolve({ kind: 'refused', error: Errors.unauthorized.message } as const))));
  };
}

/** The scheduled-message dispatcher of this node, configured (not started). */
export function createScheduledDispatcher(config: Config, store: Store, send: ScheduledSend, metrics: Metrics, log: Logger): ScheduledDispatcher {
  return new ScheduledDispatcher(store.scheduledMessages, send, {
    owner: config.nodeId ?? 'single',
    batchSize: config.scheduledBatchSize,
    pollIntervalMs: config.scheduledPollIntervalMs,
    leaseMs: config.scheduledLeaseMs,
    maxAttempts: 5,
    keepFinishedMs: 7 * 24 * 3600 * 1000,
    counted: (result) => metrics.scheduledMessages.inc({ result }),
  }, log);
}
