import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateCase, mean, median, percentile, pooledStddev, stddev, summarizeLatency } from '../core/stats.js';
import type { RunResult } from '../core/results.js';

const close = (actual: number, expected: number, tol = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

test('percentile interpolates linearly between closest ranks (Hyndman & Fan type 7)', () => {
  const v = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]; // unsorted on purpose
  // h = (n-1)·p/100 with n = 10
  close(percentile(v, 0), 1);
  close(percentile(v, 100), 10);
  close(percentile(v, 50), 5.5); // h = 4.5 -> 5 + 0.5·(6-5)
  close(percentile(v, 90), 9.1); // h = 8.1 -> 9 + 0.1·(10-9)
  close(percentile(v, 25), 3.25); // h = 2.25 -> 3 + 0.25·(4-3)
  close(percentile([42], 99.9), 42);
  close(percentile([0, 1000], 99), 990); // h = 0.99
  assert.deepEqual(v, [10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 'input is not mutated');
});

test('percentile rejects empty input and out-of-range p with a reason', () => {
  assert.throws(() => percentile([], 50), /empty/);
  assert.throws(() => percentile([1], 101), /outside 0..100/);
  assert.throws(() => percentile([1], Number.NaN), /outside 0..100/);
});

test('median, mean and sample stddev match hand-computed values', () => {
  close(median([3, 1, 2]), 2);
  close(median([4, 1, 3, 2]), 2.5);
  close(mean([2, 4, 4, 4, 5, 5, 7, 9]), 5);
  // Σ(x-5)² = 32, /(8-1) -> sqrt(32/7)
  close(stddev([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
  close(stddev([5]), 0);
});

test('pooled stddev weights each group by n-1 and ignores groups without spread information', () => {
  // (2·1² + 4·2²) / (2 + 4) = 18 / 6 = 3
  close(pooledStddev([{ n: 3, stddev: 1 }, { n: 5, stddev: 2 }]), Math.sqrt(3));
  close(pooledStddev([{ n: 1, stddev: 99 }, { n: 4, stddev: 2 }]), 2);
  close(pooledStddev([]), 0);
});

test('summarizeLatency on 1..1000 ns gives the hand-computed percentiles', () => {
  const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000..1, descending
  const s = summarizeLatency(samples);
  close(s.p50, 500.5); // h = 499.5 -> 500 + 0.5
  close(s.p90, 900.1); // h = 899.1 -> 900 + 0.1
  close(s.p99, 990.01); // h = 989.01
  close(s.p999, 999.001); // h = 998.001
  close(s.max, 1000);
  close(s.mean, 500.5);
  close(s.stddev, Math.sqrt((1000 * 1001) / 12), 1e-6); // variance of 1..n with n-1: n(n+1)/12
  assert.throws(() => summarizeLatency([]), /no samples/);
});

function latRun(run: number, p50: number, extra: Partial<RunResult> = {}): RunResult {
  return {
    run,
    status: 'ok',
    latencyNs: { p50, p90: p50 * 2, p99: p50 * 3, p999: p50 * 4, max: p50 * 10, mean: p50 + 1, stddev: 10 * (run + 1) },
    samples: 101,
    cpu: { clientUsPerMsg: run + 1, serverUsPerMsg: 2 * (run + 1) },
    integrity: { sent: 100, received: 100, corrupt: 0, lost: 0 },
    ...extra,
  };
}

test('aggregateCase: medians of run percentiles, largest max, mean of means, pooled stddev, summed integrity', () => {
  const agg = aggregateCase([latRun(0, 100), latRun(1, 300), latRun(2, 200)]);
  assert.equal(agg.status, 'ok');
  assert.equal(agg.reason, undefined);
  assert.deepEqual(agg.latencyNs && { p50: agg.latencyNs.p50, p90: agg.latencyNs.p90, p99: agg.latencyNs.p99, max: agg.latencyNs.max }, {
    p50: 200,
    p90: 400,
    p99: 600,
    max: 3000,
  });
  close(agg.latencyNs?.mean ?? -1, 201);
  // equal n = 101: pooled = sqrt((10² + 20² + 30²) / 3)
  close(agg.latencyNs?.stddev ?? -1, Math.sqrt(1400 / 3));
  assert.deepEqual(agg.cpu, { clientUsPerMsg: 2, serverUsPerMsg: 4 });
  assert.deepEqual(agg.integrity, { sent: 300, received: 300, corrupt: 0, lost: 0 });
});

test('aggregateCase: a failed run makes the case failed, keeps the ok runs numbers and counts its losses', () => {
  const failed: RunResult = {
    run: 1,
    status: 'failed',
    reason: 'server exited with code 1',
    integrity: { sent: 10, received: 7, corrupt: 1, lost: 2 },
  };
  const agg = aggregateCase([latRun(0, 100), failed, latRun(2, 300)]);
  assert.equal(agg.status, 'failed');
  assert.match(agg.reason ?? '', /1 of 3 runs failed: server exited with code 1/);
  assert.equal(agg.latencyNs?.p50, 200);
  assert.deepEqual(agg.integrity, { sent: 210, received: 207, corrupt: 1, lost: 2 });
});

test('aggregateCase: throughput medians; all-skipped and empty cases', () => {
  const tp = (run: number, msgsPerSec: number): RunResult => ({ run, status: 'ok', throughput: { msgsPerSec, bytesPerSec: msgsPerSec * 64 } });
  assert.deepEqual(aggregateCase([tp(0, 10), tp(1, 40), tp(2, 20), tp(3, 30)]).throughput, { msgsPerSec: 25, bytesPerSec: 1600 });
  const skipped = aggregateCase([{ run: 0, status: 'skipped', reason: 'needs an IPC namespace' }]);
  assert.equal(skipped.status, 'skipped');
  assert.equal(skipped.reason, 'needs an IPC namespace');
  assert.equal(skipped.latencyNs, undefined);
  assert.equal(aggregateCase([]).status, 'failed');
});
