import type { Bus, BusHandler, BusObserver } from './bus.js';
import { silentBusObserver } from './bus.js';

/**
 * The nodes sharing one in-process bus: one per process in single-node mode, several in tests
 * that run a cluster in one process. Payloads are handed over on a later microtask, as a network
 * bus would, in publish order.
 */
export class MemoryBusHub {
  private readonly topics = new Map<string, Set<BusHandler>>();

  /** A node's view of this hub. */
  node(nodeId: string, observer: BusObserver = silentBusObserver): Bus {
    return new MemoryBus(this, nodeId, observer);
  }

  /** @internal */
  add(topic: string, handler: BusHandler): void {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(handler);
  }

  /** @internal */
  remove(topic: string, handler: BusHandler): void {
    const set = this.topics.get(topic);
    set?.delete(handler);
    if (set?.size === 0) this.topics.delete(topic);
  }

  /** @internal */
  handlers(topic: string): readonly BusHandler[] {
    const set = this.topics.get(topic);
    return set ? [...set] : [];
  }
}

/** One node on a MemoryBusHub: always healthy, nothing lost while the process lives. */
class MemoryBus implements Bus {
  private readonly mine = new Set<{ topic: string; handler: BusHandler }>();
  private closed = false;

  constructor(
    private readonly hub: MemoryBusHub,
    readonly nodeId: string,
    private readonly observer: BusObserver,
  ) {}

  get healthy(): boolean {
    return !this.closed;
  }

  publish(topic: string, payload: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const targets = this.hub.handlers(topic);
    const envelope = { payload, from: this.nodeId, sentAt: Date.now() };
    this.observer.published(topic, payload.length);
    queueMicrotask(() => {
      for (const h of targets) h(envelope);
    });
    return Promise.resolve();
  }

  subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    const observer = this.observer;
    const wrapped: BusHandler = (e) => {
      if (!this.mine.has(entry)) return;
      observer.received(topic, e.payload.length, Date.now() - e.sentAt);
      try {
        handler(e);
      } catch (err) {
        observer.handlerFailed(topic, err);
      }
    };
    const entry = { topic, handler: wrapped };
    this.mine.add(entry);
    this.hub.add(topic, wrapped);
    return Promise.resolve(() => {
      this.mine.delete(entry);
      this.hub.remove(topic, wrapped);
      return Promise.resolve();
    });
  }

  /** Nothing is ever lost in one process: the listener is never called. */
  onRecovered(): void {
    // The in-process bus has no connection to lose.
  }

  close(): Promise<void> {
    this.closed = true;
    for (const e of this.mine) this.hub.remove(e.topic, e.handler);
    this.mine.clear();
    return Promise.resolve();
  }
}
