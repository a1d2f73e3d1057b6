/** A listener map: event name → listener signature. */
export type ListenerMap = { [K in string]: (...args: never[]) => void };

/**
 * A small typed event emitter. A listener that throws does not stop the others: its error is
 * passed to `onListenerError` (the client reports it as an `error` event).
 */
export class Emitter<M extends ListenerMap> {
  private readonly listeners = new Map<keyof M, Set<M[keyof M]>>();

  constructor(private readonly onListenerError: (err: unknown) => void) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(name: K, listener: M[K]): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => this.off(name, listener);
  }

  /** Adds a listener called at most once. */
  once<K extends keyof M>(name: K, listener: M[K]): () => void {
    const wrapped = ((...args: Parameters<M[K]>) => {
      off();
      (listener as (...a: Parameters<M[K]>) => void)(...args);
    }) as M[K];
    const off = this.on(name, wrapped);
    return off;
  }

  off<K extends keyof M>(name: K, listener: M[K]): void {
    this.listeners.get(name)?.delete(listener);
  }

  /** True when anything listens to `name`. */
  has(name: keyof M): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends keyof M>(name: K, ...args: Parameters<M[K]>): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (...a: Parameters<M[K]>) => void)(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
