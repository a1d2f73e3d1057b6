import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketDelta, histogramQuantile } from './histogram.js';

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.001, count: 50 },
    { le: 0.01, count: 90 },
    { le: 0.1, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates within the bucket that holds the rank', () => {
    assert.equal(histogramQuantile(0.5, buckets), 0.001);
    assert.ok(Math.abs((histogramQuantile(0.7, buckets) ?? 0) - 0.0055) < 1e-9);
    assert.ok(Math.abs((histogramQuantile(0.99, buckets) ?? 0) - 0.091) < 1e-9);
  });

  it('is undefined without observations, and the largest finite bound in +Inf', () => {
    assert.equal(histogramQuantile(0.5, []), undefined);
    assert.equal(histogramQuantile(0.5, buckets.map((b) => ({ ...b, count: 0 }))), undefined);
    assert.equal(histogramQuantile(0.99, [{ le: 0.1, count: 1 }, { le: Infinity, count: 10 }]), 0.1);
  });

  it('takes the difference of two samples', () => {
    const later = buckets.map((b) => ({ ...b, count: b.count + (b.le >= 0.01 ? 10 : 0) }));
    assert.deepEqual(bucketDelta(later, buckets).map((b) => b.count), [0, 10, 10, 10]);
  });
});
