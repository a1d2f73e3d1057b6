import { ConnectionError } from './errors.js';

/**
 * Arms a timeout (none when `timeoutMs` is undefined, 0 or infinite) and an abort signal for one
 * wait; `onFail` gets at most one error: the signal's reason, or a ConnectionError('timeout').
 * Returns the cleanup to call once the wait is over.
 */
export function guard(signal: AbortSignal | undefined, timeoutMs: number | undefined, onFail: (err: Error) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const cleanup = (): void => {
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = (): void => {
    if (done) return;
    cleanup();
    const reason: unknown = signal?.reason;
    onFail(reason instanceof Error ? reason : new ConnectionError('closed', 'aborted'));
  };
  if (signal?.aborted) {
    queueMicrotask(onAbort);
    return cleanup;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      if (done) return;
      cleanup();
      onFail(new ConnectionError('timeout', `no reply within ${String(timeoutMs)} ms`));
    }, timeoutMs);
  }
  return cleanup;
}
