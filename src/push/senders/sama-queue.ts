import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { subscriptionWire } from '../../domain/push.js';
import type { PushSubscriptionRecord } from '../../store/store.js';
import type { PushSender, SendOutcome } from '../sender.js';

export interface SamaQueueOptions {
  readonly redisUrl: string;
  /** SAMA_NATIVE_PUSH_QUEUE_NAME. */
  readonly queueName: string;
  /** Deadline of one Redis command, ms. */
  readonly timeoutMs: number;
  /** Tries the consumer makes of a job whose processing throws (the job's `attempts`), ≥ 1. */
  readonly attempts: number;
  /** First retry delay of such a job, ms; the consumer grows it exponentially (`backoff`). */
  readonly backoffMs: number;
  /** Called with Redis connection errors (the client reconnects by itself). */
  readonly onError: (err: Error) => void;
}

/** The key prefix of Bull and BullMQ; SAMA's daemon keeps the default. */
const PREFIX = 'bull';
/** BullMQ's default cap of a queue's event stream, used when the queue's meta sets none. */
const DEFAULT_MAX_EVENTS = 10_000;

/**
 * Adds one job atomically in the key layout both Bull 4 and BullMQ 5 consume:
 * - takes the next id from `<q>:id` and stores the job hash `<q>:<id>` (name, data, opts JSON,
 *   timestamp, delay 0, priority 0 — the fields both read);
 * - pushes the id to the head of `<q>:paused` while either library has the queue paused (Bull 4:
 *   the `<q>:meta-paused` key exists; BullMQ: `<q>:meta` has a `paused` field), else to the head of
 *   `<q>:wait` (consumers take from the tail, so FIFO); resuming moves `paused` to `wait`;
 * - wakes idle consumers: a Bull 4 consumer blocks on `wait` itself (BRPOPLPUSH); a BullMQ 5
 *   worker blocks on the `<q>:marker` sorted set (BZPOPMIN, 5 s timeout), so the base marker
 *   (member "0", score 0) is added unless the queue is paused or at BullMQ's global concurrency;
 * - records BullMQ's `added` and `waiting` events in the `<q>:events` stream (capped like BullMQ
 *   does) and publishes Bull 4's `<q>:waiting@<producer token>` notice.
 * KEYS: id, wait, paused, meta-paused, meta, active, marker, events.
 * ARGV: key prefix "bull:<q>:", job name, data JSON, opts JSON, timestamp ms, producer token.
 */
const ADD_JOB_SCRIPT = `
local jobId = tostring(redis.call('INCR', KEYS[1]))
redis.call('HSET', ARGV[1] .. jobId, 'name', ARGV[2], 'data', ARGV[3], 'opts', ARGV[4], 'timestamp', ARGV[5], 'delay', '0', 'priority', '0')
local meta = redis.call('HMGET', KEYS[5], 'paused', 'concurrency', 'opts.maxLenEvents')
local maxEvents = tonumber(meta[3]) or ${DEFAULT_MAX_EVENTS}
redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxEvents, '*', 'event', 'added', 'jobId', jobId, 'name', ARGV[2])
local paused = meta[1] ~= false or redis.call('EXISTS', KEYS[4]) == 1
if paused then
  redis.call('LPUSH', KEYS[3], jobId)
else
  redis.call('LPUSH', KEYS[2], jobId)
  local limit = tonumber(meta[2])
  if limit == nil or redis.call('LLEN', KEYS[6]) < limit then redis.call('ZADD', KEYS[7], 0, '0') end
end
redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxEvents, '*', 'event', 'waiting', 'jobId', jobId)
redis.call('PUBLISH', KEYS[2] .. 'ing@' .. ARGV[6], jobId)
return jobId
`;

/**
 * Hands pushes to SAMA's separate push daemon (protocol.md §7.3) instead of sending them: one
 * job per push with data `{devices: [full subscription rows], message: <base64 JSON>}` on the
 * queue SAMA_NATIVE_PUSH_QUEUE_NAME, in the key layout of BullMQ 5 (daemon 0.3.0) and Bull 4
 * (daemon 0.1–0.2), so the daemon consumes it as is and an idle one takes it at once.
 *
 * Job options: `attempts` and exponential `backoff` (the consumer retries a job whose processing
 * throws, sending again to all of its devices), and `removeOnComplete`/`removeOnFail`, so that no
 * finished job — with the subscriptions' Web Push secrets — stays in Redis.
 *
 * Guarantee: a push counts as sent once Redis has its job. What happens to each device after that
 * is the consumer's: SAMA's daemon reports no per-device outcome (it logs send errors and completes
 * the job), so in this mode push-service failures are not retried by Parley and gone subscriptions
 * are not deleted (docs/decisions.md, "Push notifications").
 */
export class SamaQueueSender implements PushSender {
  readonly name = 'sama-queue';
  readonly platforms = ['web', 'ios', 'android'] as const;
  private readonly redis: Redis;
  /** Identifies this producer in Bull 4's "waiting" channel name, as each Bull 4 queue object has one. */
  private readonly token = randomUUID();

  constructor(private readonly opts: SamaQueueOptions) {
    if (!Number.isInteger(opts.attempts) || opts.attempts < 1) throw new RangeError(`attempts must be a whole number ≥ 1, got ${opts.attempts}`);
    this.redis = new Redis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: opts.timeoutMs });
    this.redis.on('error', (err: Error) => opts.onError(err));
  }

  /** The Redis key of `name` in this queue (`bull:<queue>:<name>`). */
  key(name: string): string {
    return `${PREFIX}:${this.opts.queueName}:${name}`;
  }

  async send(subs: readonly PushSubscriptionRecord[], payload: string): Promise<SendOutcome[]> {
    const data = JSON.stringify({ devices: subs.map(subscriptionWire), message: Buffer.from(payload).toString('base64') });
    const now = Date.now();
    const opts = JSON.stringify({
      attempts: this.opts.attempts,
      backoff: { type: 'exponential', delay: this.opts.backoffMs },
      removeOnComplete: true,
      removeOnFail: true,
      delay: 0,
      timestamp: now,
    });
    const keys = ['id', 'wait', 'paused', 'meta-paused', 'meta', 'active', 'marker', 'events'].map((k) => this.key(k));
    try {
      await this.redis.eval(ADD_JOB_SCRIPT, keys.length, ...keys, this.key(''), '__default__', data, opts, String(now), this.token);
      return subs.map(() => ({ kind: 'sent' }));
    } catch (err) {
      const reason = `Redis: ${err instanceof Error ? err.message : String(err)}`;
      return subs.map(() => ({ kind: 'retry', reason }));
    }
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end' || this.redis.status === 'wait') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
