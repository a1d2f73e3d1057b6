import { guard } from './guard.js';
import type { OutgoingMessage, RequestOptions } from './options.js';
import type { Ask } from './protocol.js';

interface Entry {
  readonly body: OutgoingMessage & { id: string };
  /** Sent on the current connection (reset when it drops). */
  sent: boolean;
  settle(result: { ask: Ask } | { err: Error }): void;
}

/**
 * Messages sent and not yet acknowledged, in the order they were sent. Each keeps its client `id`:
 * after a reconnection all of them go out again in order, with the same ids, and the server,
 * which stores one message per (conversation, sender, id), answers a repeat with the original
 * acknowledgement instead of storing or delivering it again.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();

  /** The messages waiting, oldest first. */
  get messages(): (OutgoingMessage & { id: string })[] {
    return [...this.entries.values()].map((e) => e.body);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Queues a message; `transmit` is then called for it (and for every entry on `flush`). The
   * promise settles with the acknowledgement, the server's refusal, or the guard's timeout/abort.
   */
  add(body: OutgoingMessage & { id: string }, options: RequestOptions, transmit: (body: OutgoingMessage & { id: string }) => boolean): Promise<Ask> {
    return new Promise<Ask>((resolve, reject) => {
      const cleanup = guard(options.signal, options.timeoutMs, (err) => entry.settle({ err }));
      const entry: Entry = {
        body,
        sent: false,
        settle: (result) => {
          if (this.entries.get(body.id) !== entry) return;
          this.entries.delete(body.id);
          cleanup();
          if ('ask' in result) resolve(result.ask);
          else reject(result.err);
        },
      };
      this.entries.set(body.id, entry);
      entry.sent = transmit(body);
    });
  }

  /** Sends every message not yet sent on this connection, oldest first. */
  flush(transmit: (body: OutgoingMessage & { id: string }) => boolean): void {
    for (const e of this.entries.values()) if (!e.sent) e.sent = transmit(e.body);
  }

  /** The connection dropped: every message goes out again on the next one. */
  unsent(): void {
    for (const e of this.entries.values()) e.sent = false;
  }

  /** Settles the message `ask` acknowledges and returns it; undefined when it is not one of ours. */
  acknowledge(ask: Ask): OutgoingMessage | undefined {
    const e = ask.mid === undefined ? undefined : this.entries.get(ask.mid);
    e?.settle({ ask });
    return e?.body;
  }

  /** Rejects message `id` with the server's refusal; false when it is not one of ours. */
  refuse(id: string, err: Error): boolean {
    const e = this.entries.get(id);
    e?.settle({ err });
    return e !== undefined;
  }

  /** Rejects every message (logout, close). */
  rejectAll(err: Error): void {
    for (const e of [...this.entries.values()]) e.settle({ err });
  }
}
