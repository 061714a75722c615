/**
 * Whole distributions: the probes' LatencyRecorder buckets exactly as hdr-histogram-js does;
 * a case's percentiles come from the merged histogram of its runs (hand-computed here), the
 * per-run percentiles stay; the compact encoding round-trips; and a percentile backed by too
 * few samples is flagged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeHistogram,
  encodeHistogram,
  histogramFromPairs,
  LatencyRecorder,
  lowestEquivalentNs,
  mergeHistograms,
  newHistogram,
  summarizeHistogram,
  summarizePairs,
} from '../core/histogram.js';
import { aggregateCase, percentileBacked, samplesToBack } from '../core/stats.js';
import type { RunResult } from '../core/results.js';

/** The JsHistogram internals hdr-histogram-js exposes, for reading its buckets back. */
interface Iterable {
  lowestEquivalentValue(v: number): number;
  recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
}

function hdrPairs(h: ReturnType<typeof newHistogram>): Array<[number, number]> {
  const js = h as unknown as Iterable;
  const it = js.recordedValuesIterator;
  it.reset();
  const out: Array<[number, number]> = [];
  while (it.hasNext()) {
    const v = it.next();
    out.push([js.lowestEquivalentValue(v.valueIteratedTo), v.countAtValueIteratedTo]);
  }
  return out;
}

/** A deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('LatencyRecorder puts 200,000 random values (1 ns to 10 s, log-uniform) in exactly the buckets hdr-histogram-js uses', () => {
  const next = rng(20261201);
  const recorder = new LatencyRecorder();
  const reference = newHistogram();
  for (let i = 0; i < 200_000; i++) {
    const v = Math.floor(Math.exp(next() * Math.log(1e10))) + 1;
    recorder.record(v);
    reference.recordValue(v);
    if (i % 1000 === 0) assert.equal(lowestEquivalentNs(v), (reference as unknown as Iterable).lowestEquivalentValue(v), `lowest equivalent of ${v}`);
  }
  assert.equal(recorder.count, 200_000);
  const pairs = recorder.pairs();
  assert.deepEqual(pairs.pairs, hdrPairs(reference));
  const rebuilt = histogramFromPairs(pairs);
  for (const p of [1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100]) assert.equal(rebuilt.getValueAtPercentile(p), reference.getValueAtPercentile(p), `p${p}`);
});

test("the probes' summary straight from the buckets (summarizePairs) equals hdr-histogram-js's on random distributions", () => {
  const next = rng(20261202);
  const shapes: Array<[string, () => number]> = [
    ['log-uniform 1 ns to 10 s', () => Math.exp(next() * Math.log(1e10)) + 1],
    ['a 30 us round trip with a long tail', () => 30_000 * (1 + 0.05 * next()) + (next() < 0.01 ? 5e6 * next() : 0)],
    ['a few values', () => [1, 700, 2047, 2048][Math.floor(next() * 4)]!],
  ];
  for (const [name, draw] of shapes) {
    for (const samples of [1, 7, 1000, 50_000]) {
      const recorder = new LatencyRecorder();
      for (let i = 0; i < samples; i++) recorder.record(draw());
      const pairs = recorder.pairs();
      assert.deepEqual(summarizePairs(pairs), summarizeHistogram(histogramFromPairs(pairs)), `${name}, ${samples} samples`);
    }
  }
  assert.throws(() => summarizePairs({ sigDigits: 3, pairs: [] }), /no samples/);
});

test('LatencyRecorder: fractional and out-of-range values are clamped as the contract says; reset empties it', () => {
  const r = new LatencyRecorder();
  r.record(0.4); // below 1 ns -> 1
  r.record(2047.9); // floor -> 2047, still exact
  r.record(2049); // bucket 1 has a resolution of 2 ns -> 2048
  r.record(3e14); // beyond 2^42 ns -> the last value tracked
  const pairs = r.pairs().pairs;
  assert.deepEqual(pairs.slice(0, 3), [[1, 1], [2047, 1], [2048, 1]]);
  assert.equal(pairs.length, 4);
  assert.ok(pairs[3]![0] < 2 ** 42 && pairs[3]![0] > 2 ** 41);
  r.reset();
  assert.equal(r.count, 0);
  assert.deepEqual(r.pairs().pairs, []);
});

/** A run as the runner stores it: its own percentiles and its histogram, encoded. */
function run(index: number, values: Array<[number, number]>): RunResult {
  const h = histogramFromPairs({ sigDigits: 3, pairs: values });
  return {
    run: index,
    status: 'ok',
    latencyNs: summarizeHistogram(h),
    samples: h.totalCount,
    latencyHistogram: encodeHistogram(h),
    integrity: { sent: h.totalCount, received: h.totalCount, corrupt: 0, lost: 0 },
  };
}

test('merging two known runs gives the hand-computed percentiles of all their round trips, not the median of the runs', () => {
  // Run 0: 300 round trips of 100 ns. Run 1: 100 round trips of 400 ns. All 400 sorted:
  // ranks 1-300 are 100 ns, 301-400 are 400 ns. HdrHistogram's percentile p is the value at
  // rank round(p/100 * 400): p50 -> rank 200 -> 100; p75 -> 300 -> 100; p90 -> 360 -> 400.
  // (Values below 2048 ns are exact.) The median of the two runs' p50s would say 250.
  const runs = [run(0, [[100, 300]]), run(1, [[400, 100]])];
  assert.equal(runs[0]!.latencyNs!.p50, 100);
  assert.equal(runs[1]!.latencyNs!.p50, 400);
  const agg = aggregateCase(runs);
  assert.equal(agg.samples, 400);
  assert.equal(agg.latencyNs!.p50, 100);
  assert.equal(agg.latencyNs!.p90, 400);
  assert.equal(agg.latencyNs!.p99, 400);
  assert.equal(agg.latencyNs!.max, 400);
  assert.equal(agg.latencyNs!.mean, (300 * 100 + 100 * 400) / 400);
  const merged = mergeHistograms(runs.map((r) => decodeHistogram(r.latencyHistogram!)));
  assert.equal(merged.getValueAtPercentile(75), 100);
  assert.equal(merged.getValueAtPercentile(75.25), 400); // rank 301
  // The per-run percentiles stay for compare.
  assert.deepEqual(runs.map((r) => r.latencyNs!.p50), [100, 400]);
});

test('merging keeps large values within HdrHistogram\'s 0.1 %: two runs around 1 ms and 5 ms', () => {
  const a: Array<[number, number]> = [];
  const b: Array<[number, number]> = [];
  for (let i = 0; i < 100; i++) a.push([lowestEquivalentNs(1_000_000 + i * 997), 1]);
  for (let i = 0; i < 100; i++) b.push([lowestEquivalentNs(5_000_000 + i * 991), 1]);
  const agg = aggregateCase([run(0, a), run(1, b)]);
  // 200 values: ranks 1-100 near 1 ms, 101-200 near 5 ms. p50 -> rank 100: the largest of run 0.
  const within = (actual: number, expected: number): void => assert.ok(Math.abs(actual / expected - 1) <= 0.001, `${actual} vs ${expected}`);
  within(agg.latencyNs!.p50, 1_000_000 + 99 * 997);
  within(agg.latencyNs!.p99, 5_000_000 + 97 * 991); // rank 198
  within(agg.latencyNs!.max, 5_000_000 + 99 * 991);
});

test('the compact encoding round-trips a histogram exactly', () => {
  const next = rng(7);
  const h = newHistogram();
  for (let i = 0; i < 5000; i++) h.recordValue(Math.floor(next() * 1e7) + 1);
  const back = decodeHistogram(encodeHistogram(h));
  assert.equal(back.totalCount, h.totalCount);
  assert.deepEqual(hdrPairs(back), hdrPairs(h));
});

test('a percentile is backed only with at least 10 samples beyond it: p99.9 needs 10,000 round trips', () => {
  assert.equal(samplesToBack(99.9), 10_000);
  assert.equal(samplesToBack(99), 1000);
  assert.equal(samplesToBack(50), 20);
  assert.equal(percentileBacked(9_999, 99.9), false);
  assert.equal(percentileBacked(10_000, 99.9), true);
  assert.equal(percentileBacked(999, 99), false);
  assert.equal(percentileBacked(1000, 99), true);
});
