/**
 * Latency distributions as HdrHistograms (Gil Tene's HdrHistogram; `hdr-histogram-js`):
 * lowest discernible value 1 ns, 3 significant digits, so every recorded value is kept to
 * within 0.1 % at any magnitude, in a few kilobytes however many round trips a run makes.
 *
 * The probes record into `LatencyRecorder` - plain bucket arithmetic, no allocation per
 * value, the same arithmetic the native probe implements in C++ - and hand the non-empty
 * buckets back as [value, count] pairs. The harness rebuilds an hdr-histogram-js histogram
 * from the pairs (`histogramFromPairs`), merges runs, stores each run compactly in
 * results.json (`encodeHistogram`, HdrHistogram's compressed V2 encoding in base64), and
 * computes every statistic from the histograms. Pure: no I/O.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencyHistogramPairs, LatencyNs } from './protocol.js';

export type Histogram = hdr.Histogram;

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
    const v = valueNs < 1 ? 1 : valueNs >= HIGHEST_TRACKABLE_NS ? HIGHEST_TRACKABLE_NS - 1 : Math.floor(valueNs);
    const b = bucketIndexOf(v);
    const sub = Math.floor(v / 2 ** b);
    // Bucket 0 uses sub-buckets 0..2047; each later bucket only its upper half (1024..2047).
    this.counts[((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT)]! += 1;
    this.total++;
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

export function newHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_NS,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 64,
    useWebAssembly: false,
  });
}

export function histogramFromPairs(input: LatencyHistogramPairs): Histogram {
  const h = newHistogram();
  for (const [value, count] of input.pairs) h.recordValueWithCount(Math.min(value, HIGHEST_TRACKABLE_NS - 1), count);
  return h;
}

export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const merged = newHistogram();
  for (const h of histograms) merged.add(h);
  return merged;
}

/** HdrHistogram's compressed V2 encoding, base64 ("HISTF..."): what results.json stores per run. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  // Re-home into a histogram of the standard shape, so merging never meets a smaller range.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/**
 * The summary results.json carries, from a histogram. Percentiles are HdrHistogram's
 * (the highest value equivalent to the one at that rank: within 0.1 %); mean and stddev
 * use each bucket's median equivalent value.
 */
export function summarizeHistogram(h: Histogram): LatencyNs {
  if (h.totalCount === 0) throw new RangeError('summarizeHistogram: no samples - the measured phase produced no round trips');
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.mean,
    stddev: h.stdDeviation,
  };
}
