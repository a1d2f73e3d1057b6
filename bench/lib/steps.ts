import { mergeEncoded, summarize, type LatencySummary } from './histogram.js';
import type { FromWorker } from './worker-protocol.js';

type WorkerResult = Extract<FromWorker, { t: 'result' }>;

/** What the generators counted in one fixed-rate step, summed over the generator processes. */
export interface LoadTotals {
  offeredPerSec: number;
  sent: number;
  acked: number;
  delivered: number;
  expectedDeliveries: number;
  errors: number;
  ackedPerSec: number;
  deliveriesPerSec: number;
  ack: LatencySummary;
  deliver: LatencySummary;
  generatorCpuCores: number;
}

/** One fixed-rate step of a load run against one server process. */
export interface StepResult extends LoadTotals {
  serverCpuCores: number;
  serverPeakRssMiB: number;
  /** The ramp rule, {@link rampHeld}. */
  held: boolean;
}

/** p99 send→deliver above this fails a step (ms). */
export const HELD_P99_MS = 100;

/** Sums the generators' answers for a step of `stepSec` at `rate` messages/s. */
export function totals(rate: number, stepSec: number, parts: readonly WorkerResult[]): LoadTotals {
  const sum = (k: 'sent' | 'acked' | 'delivered' | 'expectedDeliveries' | 'errors' | 'cpuMs'): number => parts.reduce((a, p) => a + p[k], 0);
  const elapsedSec = Math.max(...parts.map((p) => p.elapsedMs)) / 1000;
  return {
    offeredPerSec: rate,
    sent: sum('sent'),
    acked: sum('acked'),
    delivered: sum('delivered'),
    expectedDeliveries: sum('expectedDeliveries'),
    errors: sum('errors'),
    ackedPerSec: Math.round(sum('acked') / stepSec),
    deliveriesPerSec: Math.round(sum('delivered') / stepSec),
    ack: summarize(mergeEncoded(parts.map((p) => p.ack))),
    deliver: summarize(mergeEncoded(parts.map((p) => p.deliver))),
    generatorCpuCores: Math.round((sum('cpuMs') / 1000 / elapsedSec) * 100) / 100,
  };
}

/** The `ramp` rule: every message acked and delivered, no errors, p99 send→deliver ≤ 100 ms. */
export function rampHeld(t: LoadTotals): boolean {
  return t.errors === 0 && t.acked === t.sent && t.delivered === t.expectedDeliveries && t.deliver.p99 <= HELD_P99_MS;
}

/** The held step with the highest acked rate, if any held. */
export const bestHeld = <S extends LoadTotals & { held: boolean }>(steps: readonly S[]): S | undefined => [...steps].filter((s) => s.held).sort((a, b) => b.ackedPerSec - a.ackedPerSec)[0];

/**
 * Whether a ramp found a ceiling, i.e. ended on a step that did not hold. Where it did not, the
 * best held rate is only a lower bound of what the server holds, and so is a ratio over it an
 * upper (as divisor) or lower (as dividend) bound.
 */
export const ceilingFound = (steps: readonly { held: boolean }[]): boolean => steps.length > 0 && !(steps[steps.length - 1] as { held: boolean }).held;
