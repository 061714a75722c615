/**
 * The probes' side of the latency distributions: HdrHistogram bucket arithmetic with no
 * dependency and no allocation per value (lowest discernible value 1 ns, 3 significant
 * digits), the same arithmetic the native probe implements in C++ (histogram.cc), and the
 * summary of a distribution straight from its buckets.
 *
 * Separate from core/histogram.ts (which wraps hdr-histogram-js for the harness: merging,
 * encoding) because the probe must not load that library: its percentile and mean code
 * cost a cold Node probe about 250 ms per case (measured with --cpu-prof on a 40 ms sem
 * case), several times the measured window of a quick run. `summarizePairs` gives the very
 * numbers `summarizeHistogram(histogramFromPairs(pairs))` gives (test/histogram.test.ts
 * checks it on random distributions).
 */
import type { LatencyHistogramPairs, LatencyNs } from './protocol.js';

/** 3 significant digits: sub-bucket count 2048 (2 * 10^3 rounded up to a power of two). */
const SUB_BUCKET_COUNT_MAGNITUDE = 11;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK = (1 << SUB_BUCKET_COUNT_MAGNITUDE) - 1;
/** Values up to 2^42 ns (73 minutes) are told apart; larger ones are recorded as this. */
const HIGHEST_MAGNITUDE = 42;
export const HIGHEST_TRACKABLE_NS = 2 ** HIGHEST_MAGNITUDE;
const BUCKET_COUNT = HIGHEST_MAGNITUDE - SUB_BUCKET_COUNT_MAGNITUDE + 1;

/** floor(log2(v)) for an integer 1 <= v < 2^53, exactly (Math.log2 can round up below a power of two). */
function floorLog2(v: number): number {
  if (v < 0x1_0000_0000) return 31 - Math.clz32(v);
  return 63 - Math.clz32(Math.floor(v / 0x1_0000_0000));
}

/** HdrHistogram's bucket index: 63 - clz64(v | subBucketMask) - 10; values up to 2047 share bucket 0. */
function bucketIndexOf(v: number): number {
  return (v <= SUB_BUCKET_MASK ? SUB_BUCKET_COUNT_MAGNITUDE - 1 : floorLog2(v)) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
}

/** The smallest value that shares v's bucket: what a recorded value is stored as. */
export function lowestEquivalentNs(valueNs: number): number {
  const v = Math.min(Math.max(1, Math.floor(valueNs)), HIGHEST_TRACKABLE_NS - 1);
  const b = bucketIndexOf(v);
  const scale = 2 ** b;
  return Math.floor(v / scale) * scale;
}

/**
 * Records round-trip times into HdrHistogram buckets with no allocation per value: the hot
 * path of the probes. One flat Float64Array of counts, indexed as HdrHistogram indexes them.
 */
export class LatencyRecorder {
  private readonly counts = new Float64Array((BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT);
  private total = 0;

  record(valueNs: number): void {
    if (valueNs >= 1 && valueNs < 0x7fffffff) {
      // Below 2^31 ns (2.1 s: every ordinary round trip) the contract's formula in 32-bit
      // integer arithmetic, with no branch on the value: a branch that only some values
      // take would deoptimise the probe's loop the first time a rare value came along.
      const v = valueNs | 0;
      const b = 31 - Math.clz32(v | SUB_BUCKET_MASK) - SUB_BUCKET_HALF_COUNT_MAGNITUDE;
      // Bucket 0 uses sub-buckets 0..2047; each later bucket only its upper half (1024..2047).
      this.counts[((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + ((v >> b) - SUB_BUCKET_HALF_COUNT)]! += 1;
    } else {
      this.recordOutOfRange(valueNs);
    }
    this.total++;
  }

  private recordOutOfRange(valueNs: number): void {
    const v = valueNs < 1 ? 1 : valueNs >= HIGHEST_TRACKABLE_NS ? HIGHEST_TRACKABLE_NS - 1 : Math.floor(valueNs);
    const b = bucketIndexOf(v);
    const sub = Math.floor(v / 2 ** b);
    this.counts[((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT)]! += 1;
  }

  get count(): number {
    return this.total;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The non-empty buckets as [lowest equivalent value, count], ascending. */
  pairs(): LatencyHistogramPairs {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < this.counts.length; i++) {
      const n = this.counts[i]!;
      if (n === 0) continue;
      const bucket = (i >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
      const sub = (i & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
      // Index i < 1024 belongs to bucket 0's lower half (bucket -1 in the formula).
      const value = bucket < 0 ? i : sub * 2 ** bucket;
      pairs.push([value, n]);
    }
    return { sigDigits: 3, pairs };
  }
}

/** The width of the bucket holding v (its lowest equivalent value): 2^bucket index. */
function bucketWidth(v: number): number {
  return 2 ** bucketIndexOf(Math.min(Math.max(1, v), HIGHEST_TRACKABLE_NS - 1));
}

/**
 * The summary results.json carries, from [lowest equivalent value, count] pairs in ascending
 * order, with HdrHistogram's rules (hdr-histogram-js 3, Java 2.1.12), as the native probe
 * computes it: a percentile is the highest equivalent value of the first bucket whose running
 * count reaches max(1, ceil(fp - ulp(fp))), fp = p/100 * total; max is the 100th percentile;
 * mean and stddev use each bucket's median equivalent value.
 */
export function summarizePairs(input: LatencyHistogramPairs): LatencyNs {
  const pairs = input.pairs;
  let total = 0;
  for (const [, n] of pairs) total += n;
  if (total === 0) throw new RangeError('summarizePairs: no samples - the measured phase produced no round trips');
  const at = (percentile: number): number => {
    const fp = (percentile / 100) * total;
    const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
    const countAt = Math.max(Math.ceil(fp - ulp), 1);
    let running = 0;
    for (const [v, n] of pairs) {
      running += n;
      if (running >= countAt) return v + bucketWidth(v) - 1;
    }
    return 0;
  };
  const median = (v: number): number => v + Math.floor(bucketWidth(v) / 2);
  let sum = 0;
  for (const [v, n] of pairs) sum += median(v) * n;
  const mean = sum / total;
  let dev = 0;
  for (const [v, n] of pairs) {
    const d = median(v) - mean;
    dev += d * d * n;
  }
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: at(100), mean, stddev: Math.sqrt(dev / total) };
}
