/**
 * Quantiles of a cumulative histogram (Prometheus buckets), shared by the overview route and the
 * web console, which feeds it the difference of two samples to get the figure of an interval.
 * No imports: the console bundles this file as it is.
 */

/** One bucket: `count` observations at or below `le` (seconds; Infinity for the last). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The `q` quantile (0-1) of cumulative `buckets` sorted by `le`, interpolated linearly within
 * the bucket that holds it (as Prometheus' histogram_quantile does); undefined with no
 * observations. A quantile in the +Inf bucket is reported as the largest finite bound.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket <= 0 ? b.le : lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / inBucket;
    }
    lowerLe = Number.isFinite(b.le) ? b.le : lowerLe;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** `after - before`, bucket by bucket (the observations between two samples of one histogram). */
export function bucketDelta(after: readonly Bucket[], before: readonly Bucket[]): Bucket[] {
  return after.map((b, i) => ({ le: b.le, count: Math.max(0, b.count - (before[i]?.count ?? 0)) }));
}
