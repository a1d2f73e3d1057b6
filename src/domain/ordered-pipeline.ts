interface KeyState {
  /** Settles when the newest task lets the next one start. */
  startTail: Promise<void>;
  /** Settles when the newest task's finish is done. */
  finishTail: Promise<void>;
}

/** Settles with `p`, never rejects. */
const settled = (p: Promise<unknown>): Promise<void> =>
  p.then(
    () => undefined,
    () => undefined,
  );

/**
 * Per-key ordering with a pipelined middle (design.md convention 12: one writer per
 * conversation). Every task has two parts: `start` (checks and queuing its store write) and
 * `finish` (reply and deliveries). For one key:
 * - finishes run one at a time, in submission order, each after its own start succeeded;
 * - a pipelined task lets the next task start as soon as it calls `sequenced` (its place in the
 *   commit order is fixed), so consecutive messages of a conversation share a group commit;
 * - any other task starts only after every earlier task has finished, and lets the next start
 *   when its own start has settled.
 * Different keys are independent. A key is forgotten when its last task has finished.
 */
export class OrderedPipeline {
  private readonly keys = new Map<string, KeyState>();

  /** Runs `start`, then `finish` with its result; rejects with the first failure of either. */
  run<T>(key: string, pipelined: boolean, start: (sequenced: () => void) => Promise<T>, finish: (result: T) => Promise<void>): Promise<void> {
    const prev = this.keys.get(key) ?? { startTail: Promise.resolve(), finishTail: Promise.resolve() };
    let sequenced!: () => void;
    const mayStartNext = new Promise<void>((resolve) => (sequenced = resolve));
    const gate = pipelined ? prev.startTail : Promise.all([prev.startTail, prev.finishTail]);
    const work = gate.then(() => {
      const w = start(sequenced);
      void settled(w).then(sequenced);
      return w;
    });
    // `work` may fail before the earlier finishes are done and `done` picks it up: mark it
    // handled now, or Node would end the process for an unhandled rejection (the failure still
    // reaches the caller through `done`).
    void settled(work);
    const done = prev.finishTail.then(() => work).then(finish);
    const state: KeyState = { startTail: mayStartNext, finishTail: settled(done) };
    this.keys.set(key, state);
    void state.finishTail.then(() => {
      if (this.keys.get(key) === state) this.keys.delete(key);
    });
    return done;
  }

  /** Number of keys with unfinished tasks. */
  get size(): number {
    return this.keys.size;
  }
}
