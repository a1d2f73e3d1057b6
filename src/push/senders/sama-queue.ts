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
  /** Called with Redis connection errors (the client reconnects by itself). */
  readonly onError: (err: Error) => void;
}

/** Bull's default key prefix; SAMA's daemon uses it. */
const PREFIX = 'bull';

/**
 * Adds one job the way a Bull producer does, atomically: take the next id from `<q>:id`, store
 * the job hash `<q>:<id>`, put the id at the head of the wait list (or of the paused list while
 * `<q>:meta-paused` exists; consumers take from the tail, so FIFO), and announce it on the
 * `<q>:waiting@<producer token>` channel.
 * KEYS: id counter, wait list, paused list, meta-paused flag.
 * ARGV: key prefix "bull:<q>:", job name, data JSON, opts JSON, timestamp ms, producer token.
 */
const ADD_JOB_SCRIPT = `
local jobId = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. jobId, 'name', ARGV[2], 'data', ARGV[3], 'opts', ARGV[4], 'timestamp', ARGV[5], 'delay', '0', 'priority', '0')
local target = KEYS[2]
if redis.call('EXISTS', KEYS[4]) == 1 then target = KEYS[3] end
redis.call('LPUSH', target, jobId)
redis.call('PUBLISH', KEYS[2] .. 'ing@' .. ARGV[6], jobId)
return tostring(jobId)
`;

/**
 * Hands pushes to SAMA's separate push daemon (protocol.md §7.3) instead of sending them: one
 * Bull job per push with data `{devices: [full subscription rows], message: <base64 JSON>}` on
 * the queue SAMA_NATIVE_PUSH_QUEUE_NAME, Bull's key layout kept so the daemon consumes it as is.
 * The job is "sent" once Redis has it; the daemon's own retries take over from there.
 */
export class SamaQueueSender implements PushSender {
  readonly name = 'sama-queue';
  readonly platforms = ['web', 'ios', 'android'] as const;
  private readonly redis: Redis;
  /** Identifies this producer in Bull's "waiting" channel name, as each Bull queue object has one. */
  private readonly token = randomUUID();

  constructor(private readonly opts: SamaQueueOptions) {
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
    const opts = JSON.stringify({ attempts: 1, delay: 0, timestamp: now });
    try {
      await this.redis.eval(ADD_JOB_SCRIPT, 4, this.key('id'), this.key('wait'), this.key('paused'), this.key('meta-paused'), this.key(''), '__default__', data, opts, String(now), this.token);
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
