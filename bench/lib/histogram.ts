import * as hdr from 'hdr-histogram-js';

/** Latency histogram in microseconds (1 µs .. 60 s, 3 significant digits). */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** Serialises for IPC. */
export function encode(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Merges serialised histograms from several workers. */
export function mergeEncoded(parts: readonly string[]): hdr.Histogram {
  const total = newHistogram();
  for (const p of parts) total.add(hdr.decodeFromCompressedBase64(p, 32, false));
  return total;
}

/** Percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(h: hdr.Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  return { count: h.totalCount, p50: ms(h.getValueAtPercentile(50)), p95: ms(h.getValueAtPercentile(95)), p99: ms(h.getValueAtPercentile(99)), max: ms(h.maxValue) };
}
