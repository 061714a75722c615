/**
 * The native latency line carries its round trips as HdrHistogram pairs in the contract's
 * bucketing (1 ns lowest value, 3 significant digits), so the harness can rebuild the same
 * histogram for both runtimes: every value is its own lowest equivalent under the formula,
 * pairs ascend, counts add up to `samples`, and the latencyNs summary is what HdrHistogram
 * computes from those pairs (percentiles are the highest equivalent value of the bucket that
 * reaches the percentile's count; mean and stddev use each bucket's median; max is the 100th
 * percentile: the top bucket's highest equivalent value), exactly what core/histogram.ts computes from the pairs for both runtimes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramFromPairs, summarizeHistogram } from '../core/histogram.js';
import { runPairRawStdout } from './helpers/native-pair.js';

const SUB_BUCKET_MASK = 2047n;

/** The contract's formula, in BigInt so no float rounding hides a mistake. */
function bucketIndex(v: bigint): bigint {
  const bits = BigInt((v | SUB_BUCKET_MASK).toString(2).length); // 64 - clz64
  return bits - 1n - 10n;
}
const lowestEquivalent = (v: bigint): bigint => (v >> bucketIndex(v)) << bucketIndex(v);
const highestEquivalent = (v: bigint): bigint => lowestEquivalent(v) + (1n << bucketIndex(v)) - 1n;
const medianEquivalent = (v: bigint): bigint => lowestEquivalent(v) + ((1n << bucketIndex(v)) >> 1n);

/** HdrHistogram getValueAtPercentile over (value, count) pairs: count max(1, ceil(fp - ulp(fp))). */
function valueAtPercentile(pairs: Array<[number, number]>, total: number, p: number): number {
  const fp = (p / 100) * total;
  const countAt = Math.max(1, Math.ceil(fp - 2 ** (Math.floor(Math.log2(fp)) - 52)));
  let running = 0;
  for (const [value, count] of pairs) {
    running += count;
    if (running >= countAt) return Number(highestEquivalent(BigInt(value)));
  }
  throw new Error('percentile beyond the histogram');
}

test('the bucketing formula behaves as HdrHistogram documents (hand-checked values)', () => {
  // Below 2048 every nanosecond is its own bucket; 2048..4095 in steps of 2; 1 ms in steps of 512.
  assert.equal(lowestEquivalent(2047n), 2047n);
  assert.equal(lowestEquivalent(2049n), 2048n);
  assert.equal(highestEquivalent(2048n), 2049n);
  assert.equal(lowestEquivalent(1_000_000n), 999_936n);
  assert.equal(highestEquivalent(1_000_000n), 1_000_447n);
});

test('native latency lines carry contract histograms whose statistics match latencyNs', { timeout: 60_000 }, async () => {
  const stdout = await runPairRawStdout({
    server: 'native', client: 'native', mechanism: 'uds',
    cases: [{ probe: 'latency', messageBytes: 64 }, { probe: 'latency', messageBytes: 65536 }],
    budget: { measureMs: 100 },
  });
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l.replace(/^PODIPC_RESULT /, '')) as {
    status: string; samples: number; latencyNs: Record<string, number>;
    latencyHistogram: { sigDigits: 3; pairs: Array<[number, number]> };
  });
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.equal(line.status, 'ok');
    const { sigDigits, pairs } = line.latencyHistogram;
    assert.equal(sigDigits, 3);
    assert.ok(pairs.length > 0);
    let total = 0;
    let previous = -1;
    for (const [value, count] of pairs) {
      assert.ok(Number.isInteger(value) && value >= 1, `value ${value}`);
      assert.equal(BigInt(value), lowestEquivalent(BigInt(value)), `${value} is not a lowest equivalent value`);
      assert.ok(value > previous, 'pairs ascend by value');
      assert.ok(Number.isInteger(count) && count > 0, `count ${count}`);
      previous = value;
      total += count;
    }
    assert.equal(total, line.samples, 'histogram counts add up to samples');
    const l = line.latencyNs;
    assert.equal(l.p50, valueAtPercentile(pairs, total, 50));
    assert.equal(l.p90, valueAtPercentile(pairs, total, 90));
    assert.equal(l.p99, valueAtPercentile(pairs, total, 99));
    assert.equal(l.p999, valueAtPercentile(pairs, total, 99.9));
    assert.equal(l.max, valueAtPercentile(pairs, total, 100), 'max: the 100th percentile, the top bucket\'s highest equivalent value');
    const mean = pairs.reduce((s, [v, c]) => s + Number(medianEquivalent(BigInt(v))) * c, 0) / total;
    assert.ok(Math.abs(l.mean! - mean) <= 1e-9 * mean, `mean ${l.mean} vs ${mean}`);
    const sd = Math.sqrt(pairs.reduce((s, [v, c]) => s + (Number(medianEquivalent(BigInt(v))) - mean) ** 2 * c, 0) / total);
    assert.ok(Math.abs(l.stddev! - sd) <= 1e-6 * Math.max(1, sd), `stddev ${l.stddev} vs ${sd}`);
    // And what the harness computes for every runtime, from the same pairs (hdr-histogram-js).
    const harness = summarizeHistogram(histogramFromPairs(line.latencyHistogram));
    for (const k of ['p50', 'p90', 'p99', 'p999', 'max'] as const) assert.equal(l[k], harness[k], `${k}: native ${l[k]}, harness ${harness[k]}`);
    assert.ok(Math.abs(l.mean! - harness.mean) <= 1e-9 * harness.mean, `mean: native ${l.mean}, harness ${harness.mean}`);
    assert.ok(Math.abs(l.stddev! - harness.stddev) <= 1e-6 * Math.max(1, harness.stddev), `stddev: native ${l.stddev}, harness ${harness.stddev}`);
  }
});
