import { Redis } from 'ioredis';
import type { Bus, BusHandler, BusObserver } from './bus.js';
import { silentBusObserver } from './bus.js';

export interface RedisBusOptions {
  readonly url: string;
  readonly nodeId: string;
  /** Prefix of every channel, so several clusters can share one Redis. */
  readonly channelPrefix?: string;
  readonly observer?: BusObserver;
  /** Connection errors (the clients reconnect by themselves); logged by the caller. */
  readonly onError?: (err: Error) => void;
}

/**
 * The bus on Redis pub/sub: one connection publishes, one subscribes. Redis pub/sub is at most
 * once, which is all the port promises: while Redis is unreachable, publications are dropped
 * (the publisher keeps no offline queue, so nothing stale or unbounded piles up) and `healthy` is
 * false; the subscriber reconnects and subscribes again by itself. A payload travels as
 * `<node id>\n<sent at ms>\n<payload>`.
 */
export class RedisBus implements Bus {
  readonly nodeId: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly observer: BusObserver;
  /** topic → its handlers and the Redis SUBSCRIBE they wait for; subscribed while not empty. */
  private readonly channels = new Map<string, { readonly handlers: Set<BusHandler>; readonly ready: Promise<unknown> }>();
  private readonly recoveredListeners: ((downSince: number) => void)[] = [];
  /** When either connection was lost, until both are back; undefined while both are up. */
  private downSince: number | undefined;
  private closing = false;

  private constructor(opts: RedisBusOptions) {
    this.nodeId = opts.nodeId;
    this.prefix = opts.channelPrefix ?? 'parley:bus:';
    this.observer = opts.observer ?? silentBusObserver;
    const onError = opts.onError ?? (() => undefined);
    // Reconnect quickly and for ever: a node outlives Redis restarts.
    const retryStrategy = (times: number): number => Math.min(50 * times, 1000);
    this.pub = new Redis(opts.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy });
    this.sub = new Redis(opts.url, { lazyConnect: true, autoResubscribe: true, maxRetriesPerRequest: null, retryStrategy });
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    for (const conn of [this.pub, this.sub]) {
      conn.on('close', () => {
        if (!this.closing) this.downSince ??= Date.now();
      });
      conn.on('ready', () => this.maybeRecovered());
    }
  }

  /**
   * Both connections are ready again after a loss: once a PING has come back on the subscriber
   * (so the SUBSCRIBEs ioredis re-sent before it have taken effect), listeners hear of it.
   */
  private maybeRecovered(): void {
    const since = this.downSince;
    if (since === undefined || !this.healthy) return;
    this.downSince = undefined;
    this.sub.ping().then(
      () => {
        for (const l of this.recoveredListeners) l(since);
      },
      () => {
        // Lost again before the PING returned: the next 'ready' reports the outage.
        this.downSince ??= since;
      },
    );
  }

  onRecovered(listener: (downSince: number) => void): void {
    this.recoveredListeners.push(listener);
  }

  /** Connects both clients; rejects when Redis cannot be reached at start. */
  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(opts);
    try {
      await Promise.all([bus.pub.connect(), bus.sub.connect()]);
    } catch (err) {
      bus.pub.disconnect();
      bus.sub.disconnect();
      throw err;
    }
    return bus;
  }

  get healthy(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  async publish(topic: string, payload: string): Promise<void> {
    const framed = `${this.nodeId}\n${String(Date.now())}\n${payload}`;
    try {
      await this.pub.publish(this.prefix + topic, framed);
      this.observer.published(topic, payload.length);
    } catch {
      // Redis is down: the payload is dropped, as at-most-once allows; `healthy` says so.
    }
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    let channel = this.channels.get(topic);
    if (!channel) {
      channel = { handlers: new Set(), ready: this.sub.subscribe(this.prefix + topic) };
      this.channels.set(topic, channel);
    }
    channel.handlers.add(handler);
    try {
      await channel.ready;
    } catch (err) {
      channel.handlers.delete(handler);
      if (channel.handlers.size === 0 && this.channels.get(topic) === channel) this.channels.delete(topic);
      throw err;
    }
    return async () => {
      const current = this.channels.get(topic);
      if (!current?.handlers.delete(handler) || current.handlers.size > 0) return;
      this.channels.delete(topic);
      // Commands on one connection run in order: a SUBSCRIBE issued after this wins.
      await this.sub.unsubscribe(this.prefix + topic);
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    this.channels.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }

  private dispatch(channel: string, message: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const topic = channel.slice(this.prefix.length);
    const set = this.channels.get(topic)?.handlers;
    if (!set) return;
    const a = message.indexOf('\n');
    const b = message.indexOf('\n', a + 1);
    if (a < 0 || b < 0) return;
    const envelope = { from: message.slice(0, a), sentAt: Number(message.slice(a + 1, b)), payload: message.slice(b + 1) };
    this.observer.received(topic, envelope.payload.length, Date.now() - envelope.sentAt);
    for (const h of [...set]) {
      try {
        h(envelope);
      } catch (err) {
        this.observer.handlerFailed(topic, err);
      }
    }
  }
}
