import { parentPort, workerData } from 'node:worker_threads';
import { AddressPolicy } from './address-policy.js';
import { guardedFetch } from './guarded-fetch.js';
import { checkSyntax, loadQuickJs, runHandler } from './quickjs-runner.js';
import type { HandlerJob, HandlerOutcome, SandboxLimits } from './sandbox.js';

/** Pool → worker. */
export type SandboxRequest = { readonly t: 'run'; readonly id: number; readonly job: HandlerJob } | { readonly t: 'check'; readonly id: number; readonly source: string };
/** Worker → pool. */
export type SandboxReply = { readonly t: 'ready' } | { readonly t: 'ran'; readonly id: number; readonly outcome: HandlerOutcome } | { readonly t: 'checked'; readonly id: number; readonly error: string | undefined };

/**
 * A sandbox thread (started by worker-pool.ts): loads QuickJS once, then runs one request at a
 * time. Its environment is the server's, but scripts never see it: they reach only what
 * quickjs-runner.ts hands them.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('sandbox-worker must run in a worker thread');
  const limits = workerData as SandboxLimits;
  const policy = new AddressPolicy(limits.fetchAllow);
  const mod = await loadQuickJs();
  const fetcher = (req: Parameters<typeof guardedFetch>[0], timeoutMs: number): ReturnType<typeof guardedFetch> => guardedFetch(req, { policy, timeoutMs, maxBytes: limits.fetchMaxBytes });
  port.on('message', (m: SandboxRequest) => {
    if (m.t === 'check') {
      port.postMessage({ t: 'checked', id: m.id, error: checkSyntax(mod, m.source, limits.memoryBytes) } satisfies SandboxReply);
      return;
    }
    void runHandler(mod, m.job, limits, fetcher).then((outcome) => port.postMessage({ t: 'ran', id: m.id, outcome } satisfies SandboxReply));
  });
  port.postMessage({ t: 'ready' } satisfies SandboxReply);
}

await main();
