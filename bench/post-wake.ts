import { closeSync, fstatSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * `npx tsx bench/post-wake.ts [gapMs] [rounds]`: what the first call after a pause costs the
 * calling thread. Two calls are timed, each in rounds separated by `gapMs` (4 ms: the group
 * committer's interval between batches) or by nothing (gap 0):
 * - `postMessage` of the batch the SQLite writer thread receives for 12 messages (batch-codec.ts)
 *   to a worker, which answers each one;
 * - `fstat`, a system call that does almost nothing.
 * On the virtual machines this was measured on, both cost several times more after a pause than
 * back to back: the cost is the thread's core coming back from idle, not the message between
 * threads (docs/benchmarks.md, Round three).
 */
const gapMs = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 2000);

const pause = (): Promise<void> => new Promise((r) => (gapMs > 0 ? setTimeout(r, gapMs) : setImmediate(r)));

/** Median, p90 and p99 in µs of `call`, each timed alone after a pause. */
async function timed(call: () => void): Promise<{ p50: number; p90: number; p99: number }> {
  const micros: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    call();
    micros.push(Number(process.hrtime.bigint() - t0) / 1000);
    await pause();
  }
  micros.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((micros[Math.min(micros.length - 1, Math.floor(micros.length * q))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

const worker = new Worker("const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m.length));", { eval: true });
const batch: (string | number | null)[] = [];
for (let i = 0; i < 12; i++) {
  batch.push('65f0c0ffee0123456789abcd', '65f0c0ffee0123456789abce', '65f0c0ffee0123456789abcf', '65f0c0ffee0123456789abd0', 'c-0123456789', 'a message body of a length people type', null, null, null, null, null, 1_700_000_000, 1_700_000_000_123, 1_700_000_000_123, 0, 0, 0);
}
let replies = 0;
worker.on('message', () => replies++);
await new Promise((r) => setTimeout(r, 200));
const postMicros = await timed(() => worker.postMessage(batch));
await new Promise((r) => setTimeout(r, 50));
await worker.terminate();
if (replies !== rounds) throw new Error(`the worker answered ${replies} of ${rounds} posts`);

const fd = openSync(import.meta.filename, 'r');
const fstatMicros = await timed(() => fstatSync(fd));
closeSync(fd);
process.stdout.write(`${JSON.stringify({ gapMs, rounds, postMicros, fstatMicros })}\n`);
