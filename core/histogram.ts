/**
 * Latency distributions as HdrHistograms (Gil Tene's HdrHistogram; `hdr-histogram-js`):
 * lowest discernible value 1 ns, 3 significant digits, so every recorded value is kept to
 * within 0.1 % at any magnitude, in a few kilobytes however many round trips a run makes.
 *
 * The probes record into `LatencyRecorder` (core/latency-recorder.ts) - plain bucket arithmetic, no allocation per
 * value, the same arithmetic the native probe implements in C++ - and hand the non-empty
 * buckets back as [value, count] pairs. The harness rebuilds an hdr-histogram-js histogram
 * from the pairs (`histogramFromPairs`), merges runs, stores each run compactly in
 * results.json (`encodeHistogram`, HdrHistogram's compressed V2 encoding in base64), and
 * computes every statistic from the histograms. Pure: no I/O.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencyHistogramPairs, LatencyNs } from './protocol.js';
import { HIGHEST_TRACKABLE_NS } from './latency-recorder.js';

export { HIGHEST_TRACKABLE_NS, LatencyRecorder, lowestEquivalentNs, summarizePairs } from './latency-recorder.js';

export type Histogram = hdr.Histogram;

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
 * (the highest value equivalent to the one at that rank: within 0.1 %), and so is max (the
 * 100th percentile, not `maxValue`, which is the recorded value before encoding and the
 * bucket's highest equivalent after: a run's max and its case's max then agree); mean and
 * stddev use each bucket's median equivalent value.
 */
export function summarizeHistogram(h: Histogram): LatencyNs {
  if (h.totalCount === 0) throw new RangeError('summarizeHistogram: no samples - the measured phase produced no round trips');
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.getValueAtPercentile(100),
    mean: h.mean,
    stddev: h.stdDeviation,
  };
}
