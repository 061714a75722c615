/**
 * Pure statistics for podipc: percentiles, location and spread, run aggregation, and the
 * exact Mann-Whitney U test with a distribution-free confidence interval used by compare.
 * Nothing here prints, reads the clock or touches files (tinybench's computeStatistics and
 * autocannon's aggregateResult are the model).
 */
import { decodeHistogram, mergeHistograms, summarizeHistogram } from './histogram.js';
import type { Cpu, Integrity, LatencyNs, Throughput } from './protocol.js';
import type { RunResult } from './results.js';
import type { CaseStatus } from './vocabulary.js';

// ---------------------------------------------------------------------------------------
// Location and spread
// ---------------------------------------------------------------------------------------

/**
 * The p-th percentile (p in 0..100) of values that are already sorted ascending.
 *
 * Method: linear interpolation between closest ranks, definition 7 of Hyndman & Fan,
 * "Sample Quantiles in Statistical Packages", The American Statistician 50(4), 1996 - the
 * default of R's quantile() and NumPy's percentile(). h = (n-1)·p/100; the result is
 * x[floor h] + (h - floor h)·(x[floor h + 1] - x[floor h]) with 0-based x. It is continuous
 * in p, equals the minimum at p=0 and the maximum at p=100, and needs no rounding rule.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile of an empty list: there are no values to summarise');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const xLo = sorted[lo] as number;
  const xHi = sorted[hi] as number;
  return xLo + (h - lo) * (xHi - xLo);
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  // A typed-array sort is numeric (Array#sort would compare strings) and fast on millions.
  return Float64Array.from(values).sort();
}

/** The p-th percentile (p in 0..100), Hyndman & Fan type 7 (see percentileSorted). */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileSorted(sortedCopy(values), p);
}

/** The median (the 50th percentile; the mean of the two middle values for even counts). */
export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) throw new RangeError('mean of an empty list: there are no values to summarise');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  return sum / n;
}

/**
 * Sample standard deviation (Bessel's n-1 denominator, as tinybench reports it); 0 for a
 * single value. Two-pass (mean first) to avoid the cancellation of the sum-of-squares form.
 */
export function stddev(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - 1));
}

/**
 * Pooled standard deviation of several groups measured separately:
 * sqrt( Σ (n_i - 1)·s_i² / Σ (n_i - 1) ) - the within-group spread, which is what a single
 * run's samples look like (Cohen, Statistical Power Analysis, 1988, eq. 2.3.2). Groups with
 * n_i <= 1 carry no spread information and are ignored; with none left the result is 0.
 */
export function pooledStddev(groups: ReadonlyArray<{ n: number; stddev: number }>): number {
  let num = 0;
  let den = 0;
  for (const g of groups) {
    if (g.n <= 1) continue;
    num += (g.n - 1) * g.stddev * g.stddev;
    den += g.n - 1;
  }
  return den > 0 ? Math.sqrt(num / den) : 0;
}

// ---------------------------------------------------------------------------------------
// One run's latency samples -> summary
// ---------------------------------------------------------------------------------------

/** Summarise one run's round-trip samples (ns). Percentiles: Hyndman & Fan type 7. */
export function summarizeLatency(samplesNs: ArrayLike<number>): LatencyNs {
  if (samplesNs.length === 0) {
    throw new RangeError('summarizeLatency: no samples - the measured phase produced no round trips (mark the case failed)');
  }
  const sorted = sortedCopy(samplesNs);
  return {
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    p999: percentileSorted(sorted, 99.9),
    max: sorted[sorted.length - 1] as number,
    mean: mean(sorted),
    stddev: stddev(sorted),
  };
}

/**
 * Is the p-th percentile (0..100) backed by enough samples to be read as a number? It is
 * when at least 10 samples lie beyond it: n·(1 - p/100) >= 10. p99.9 then needs 10,000
 * round trips, p99 1,000, p90 100 (the rule of thumb HdrHistogram's and JLBH's authors
 * use: a tail percentile from a handful of samples is one sample's noise).
 */
export function percentileBacked(samples: number, p: number): boolean {
  return samples * (1 - p / 100) >= 10 - 1e-9;
}

/** The samples the p-th percentile needs to be backed (see percentileBacked). */
export function samplesToBack(p: number): number {
  // 1 - 99.9/100 is 0.0010000000000000009 in binary floating point: round away that noise.
  return Math.ceil(10 / (1 - p / 100) - 1e-6);
}

// ---------------------------------------------------------------------------------------
// Runs -> case aggregate (the rules documented in core/results.ts caseSchema)
// ---------------------------------------------------------------------------------------

export interface CaseAggregate {
  status: CaseStatus;
  reason?: string;
  latencyNs?: LatencyNs;
  samples?: number;
  throughput?: Throughput;
  cpu?: Cpu;
  integrity?: Integrity;
  achievedRatePerSec?: number;
  responseNs?: LatencyNs;
  serviceNs?: LatencyNs;
  rateSamples?: number;
  selfLagP99Ns?: number;
  clientBehind?: boolean;
  sustainableRatePerSec?: number;
}

/**
 * Aggregate the runs (independent process pairs) of one case:
 * - latency: when every ok run carries its histogram, the statistics of the merged
 *   histogram (all round trips of all runs, so the tail is backed by every sample);
 *   otherwise (schema 1 data) percentiles are the median of the ok runs' values, max the
 *   largest, mean the mean of run means, stddev pooled over runs (weights = samples);
 * - throughput and cpu: median over ok runs (per field, per side);
 * - integrity: sums over all runs that report it (a failed run's losses still count);
 * - rate runs: see aggregateRate;
 * - status: `failed` if any run failed (the aggregates still cover the ok runs, so the
 *   numbers stay visible next to the failure), else `ok` if any run was ok, else `skipped`.
 */
export function aggregateCase(runs: readonly RunResult[]): CaseAggregate {
  if (runs.length === 0) return { status: 'failed', reason: 'no runs were recorded for this case' };
  const ok = runs.filter((r) => r.status === 'ok');
  const failed = runs.filter((r) => r.status === 'failed');
  const out: CaseAggregate = { status: failed.length > 0 ? 'failed' : ok.length > 0 ? 'ok' : 'skipped' };

  if (failed.length > 0) {
    const reasons = unique(failed.map((r) => r.reason ?? 'no reason recorded'));
    out.reason = `${failed.length} of ${runs.length} runs failed: ${reasons.join('; ')}`;
  } else if (ok.length === 0) {
    out.reason = unique(runs.map((r) => r.reason ?? 'no reason recorded')).join('; ');
  }

  const lat = ok.filter((r) => r.latencyNs !== undefined).map((r) => ({ l: r.latencyNs as LatencyNs, n: r.samples }));
  const histograms = ok.map((r) => r.latencyHistogram).filter((h): h is string => h !== undefined);
  if (histograms.length > 0 && histograms.length === lat.length) {
    const merged = mergeHistograms(histograms.map(decodeHistogram));
    out.latencyNs = summarizeHistogram(merged);
    out.samples = merged.totalCount;
  } else if (lat.length > 0) {
    const pick = (k: keyof LatencyNs): number[] => lat.map((x) => x.l[k]);
    // Unknown sample counts: weight runs equally (any equal n gives the plain mean of variances).
    const weightsKnown = lat.every((x) => x.n !== undefined && x.n > 1);
    out.latencyNs = {
      p50: median(pick('p50')),
      p90: median(pick('p90')),
      p99: median(pick('p99')),
      p999: median(pick('p999')),
      max: Math.max(...pick('max')),
      mean: mean(pick('mean')),
      stddev: weightsKnown
        ? pooledStddev(lat.map((x) => ({ n: x.n as number, stddev: x.l.stddev })))
        : Math.sqrt(mean(lat.map((x) => x.l.stddev * x.l.stddev))),
    };
    if (weightsKnown) out.samples = lat.reduce((n, x) => n + (x.n as number), 0);
  }

  const tp = ok.map((r) => r.throughput).filter((t): t is Throughput => t !== undefined);
  if (tp.length > 0) {
    out.throughput = { msgsPerSec: median(tp.map((t) => t.msgsPerSec)), bytesPerSec: median(tp.map((t) => t.bytesPerSec)) };
  }

  const cpu = ok.map((r) => r.cpu).filter((c): c is Cpu => c !== undefined);
  if (cpu.length > 0) {
    out.cpu = {
      clientUsPerMsg: median(cpu.map((c) => c.clientUsPerMsg)),
      serverUsPerMsg: median(cpu.map((c) => c.serverUsPerMsg)),
    };
  }

  aggregateRate(ok, out);

  const integ = runs.map((r) => r.integrity).filter((i): i is Integrity => i !== undefined);
  if (integ.length > 0) {
    out.integrity = integ.reduce(
      (a, b) => ({ sent: a.sent + b.sent, received: a.received + b.received, corrupt: a.corrupt + b.corrupt, lost: a.lost + b.lost }),
      { sent: 0, received: 0, corrupt: 0, lost: 0 },
    );
    // Counted only by mechanisms that sleep on a wake-up: absent unless some run counted.
    const counted = integ.filter((i) => i.lostWakeups !== undefined);
    if (counted.length > 0) out.integrity.lostWakeups = counted.reduce((n, i) => n + i.lostWakeups!, 0);
  }
  return out;
}

/**
 * Rate runs (fields absent on other probes, so this adds nothing to them):
 * - response and service time: the merged histograms of the ok runs (every message of every
 *   run, as for latency), or - when a run lacks its histogram - nothing rather than a guess;
 * - achieved rate and sustainable rate: median over the ok runs;
 * - self lag: the largest p99, and clientBehind when any ok run fell behind (one run whose
 *   generator could not keep up taints the case's numbers).
 */
function aggregateRate(ok: readonly RunResult[], out: CaseAggregate): void {
  const rate = ok.filter((r) => r.achievedRatePerSec !== undefined);
  if (rate.length === 0) return;
  out.achievedRatePerSec = median(rate.map((r) => r.achievedRatePerSec as number));
  const merged = (pick: (r: RunResult) => string | undefined): ReturnType<typeof mergeHistograms> | undefined => {
    const hs = rate.map(pick);
    return hs.every((h): h is string => h !== undefined) ? mergeHistograms(hs.map(decodeHistogram)) : undefined;
  };
  const response = merged((r) => r.responseHistogram);
  const service = merged((r) => r.serviceHistogram);
  if (response && response.totalCount > 0) {
    out.responseNs = summarizeHistogram(response);
    out.rateSamples = response.totalCount;
  }
  if (service && service.totalCount > 0) out.serviceNs = summarizeHistogram(service);
  const lags = rate.map((r) => r.selfLagP99Ns).filter((v): v is number => v !== undefined);
  if (lags.length > 0) out.selfLagP99Ns = Math.max(...lags);
  out.clientBehind = rate.some((r) => r.clientBehind === true);
  const sustainable = rate.map((r) => r.sustainableRatePerSec).filter((v): v is number => v !== undefined);
  if (sustainable.length > 0) out.sustainableRatePerSec = median(sustainable);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

// ---------------------------------------------------------------------------------------
// Mann-Whitney U, exact
// ---------------------------------------------------------------------------------------

/** Binomial coefficient C(n, k) as a float (exact for the sizes used here, < 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const kk = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= kk; i++) r = (r * (n - kk + i)) / i;
  return Math.round(r);
}

/**
 * Counts of the Mann-Whitney U statistic under H0 without ties: counts[u] is the number of
 * the C(m+n, m) equally likely orderings with U = u, for u = 0..m·n. Recurrence of Mann &
 * Whitney, Ann. Math. Statist. 18(1), 1947: f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u)
 * (the largest observation belongs to the first sample or to the second).
 */
export function mannWhitneyCounts(m: number, n: number): number[] {
  // table[j] holds f(i, j, ·) for the current i; start with i = 0: f(0, j, 0) = 1.
  let prev: number[][] = [];
  for (let j = 0; j <= n; j++) prev.push([1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]]; // f(i, 0, 0) = 1
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1;
      const row = new Array<number>(size).fill(0);
      const a = prev[j] as number[]; // f(i-1, j, ·), shifted by j
      const b = cur[j - 1] as number[]; // f(i, j-1, ·)
      for (let u = 0; u < size; u++) {
        const fromA = u - j >= 0 && u - j < a.length ? (a[u - j] as number) : 0;
        const fromB = u < b.length ? (b[u] as number) : 0;
        row[u] = fromA + fromB;
      }
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n] as number[];
}

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, ties counting one half. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  /** How p was computed. */
  method: 'exact' | 'exact-permutation' | 'normal';
  /** The smallest two-sided p any outcome can reach with these sample sizes (exact only). */
  minP: number;
}

/** Enumerate all assignments when C(m+n, m) is at most this (ties with small samples). */
const PERMUTATION_LIMIT = 200_000;
/** Use the exact no-ties distribution while m·n is at most this (the table is O(m·n²·m)). */
const EXACT_LIMIT = 2_500;

/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum) of x against y, as benchstat does for
 * run-level values. Exact when small (the case for 2..10 runs per side):
 * - no ties: the exact null distribution of U (mannWhitneyCounts);
 * - ties: the exact permutation distribution of the midrank sum, enumerating every way to
 *   choose which m of the m+n pooled values belong to x;
 * - large samples: the normal approximation with tie and continuity corrections
 *   (Hollander & Wolfe, Nonparametric Statistical Methods, 3rd ed., §4.1).
 * Two-sided p = P(|U - m·n/2| >= |u - m·n/2|), capped at 1. Note that with m = n = 3 the
 * smallest reachable p is 2/20 = 0.1: no 3-vs-3 comparison is significant at alpha 0.05.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) throw new RangeError('Mann-Whitney U needs at least one value on each side');
  const pooled = [...x.map((v) => ({ v, g: 0 })), ...y.map((v) => ({ v, g: 1 }))].sort((a, b) => a.v - b.v);
  const ranks = midranks(pooled.map((e) => e.v));
  const hasTies = ranks.some((r) => !Number.isInteger(r));
  let rankSumX = 0;
  pooled.forEach((e, i) => {
    if (e.g === 0) rankSumX += ranks[i] as number;
  });
  const u = rankSumX - (m * (m + 1)) / 2;
  const center = (m * n) / 2;
  const observed = Math.abs(u - center);
  // Rank sums are multiples of 0.5; a small tolerance keeps "as extreme" exact in floats.
  const eps = 1e-9;
  const total = binomial(m + n, m);

  if (!hasTies && m * n <= EXACT_LIMIT) {
    const counts = mannWhitneyCounts(m, n);
    let extreme = 0;
    counts.forEach((c, k) => {
      if (Math.abs(k - center) >= observed - eps) extreme += c;
    });
    return { u, p: Math.min(1, extreme / total), method: 'exact', minP: Math.min(1, (2 * (counts[0] as number)) / total) };
  }
  if (total <= PERMUTATION_LIMIT) {
    let extreme = 0;
    let minExtremeCount = Infinity;
    const uValues: number[] = [];
    forEachCombination(m + n, m, (idx) => {
      let s = 0;
      for (const i of idx) s += ranks[i] as number;
      uValues.push(s - (m * (m + 1)) / 2);
    });
    for (const uv of uValues) if (Math.abs(uv - center) >= observed - eps) extreme++;
    // The most extreme reachable outcome with these tied values bounds the smallest p.
    const maxDev = Math.max(...uValues.map((uv) => Math.abs(uv - center)));
    minExtremeCount = uValues.filter((uv) => Math.abs(uv - center) >= maxDev - eps).length;
    return { u, p: Math.min(1, extreme / total), method: 'exact-permutation', minP: Math.min(1, minExtremeCount / total) };
  }
  // Normal approximation with tie correction of the variance.
  const N = m + n;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && (pooled[j + 1] as { v: number }).v === (pooled[i] as { v: number }).v) j++;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const variance = ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  const z = variance > 0 ? Math.max(0, observed - 0.5) / Math.sqrt(variance) : 0;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), method: 'normal', minP: 0 };
}

/** Midranks (1-based; tied values share the mean of their ranks) of ascending values. */
function midranks(sortedValues: readonly number[]): number[] {
  const ranks = new Array<number>(sortedValues.length);
  for (let i = 0; i < sortedValues.length; ) {
    let j = i;
    while (j + 1 < sortedValues.length && sortedValues[j + 1] === sortedValues[i]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    i = j + 1;
  }
  return ranks;
}

function forEachCombination(n: number, k: number, visit: (idx: readonly number[]) => void): void {
  const idx: number[] = [];
  const rec = (start: number): void => {
    if (idx.length === k) {
      visit(idx);
      return;
    }
    for (let i = start; i <= n - (k - idx.length); i++) {
      idx.push(i);
      rec(i + 1);
      idx.pop();
    }
  };
  rec(0);
}

/** Standard normal CDF; erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Benjamini-Hochberg adjusted p-values ("q-values"), in the input order: q_(i) =
 * min over j >= i of (m / j) * p_(j), capped at 1, for the p-values sorted ascending.
 * Calling a case significant when q < alpha keeps the expected share of false discoveries
 * among the significant cases at most alpha (Benjamini & Hochberg 1995, "Controlling the
 * false discovery rate", JRSS B 57(1)). A compare of 181 cases at alpha 0.05 without it
 * would flag about one case in twenty of an A/A run as changed.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const q = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, i } = order[rank - 1]!;
    running = Math.min(running, (p * m) / rank);
    q[i] = Math.min(1, running);
  }
  return q;
}

/**
 * The smallest number of runs per side (equal sizes) for which the exact two-sided
 * Mann-Whitney test can reach p < alpha while up to `swappedPairs` (base, head) pairs are
 * out of order (U <= swappedPairs). swappedPairs = 0 is the bare minimum - only completely
 * separated runs can be significant: alpha 0.05 -> 4 (2/70 ≈ 0.029), alpha 0.01 -> 5
 * (2/252 ≈ 0.0079). swappedPairs = 1 tolerates one noisy run: alpha 0.05 -> 5 (4/252).
 */
export function minRunsForSignificance(alpha: number, swappedPairs = 0): number {
  for (let n = 1; n <= 40; n++) {
    const counts = mannWhitneyCounts(n, n);
    let tail = 0;
    for (let u = 0; u <= Math.min(swappedPairs, counts.length - 1); u++) tail += counts[u] as number;
    if ((2 * tail) / binomial(2 * n, n) < alpha) return n;
  }
  return Infinity;
}

// ---------------------------------------------------------------------------------------
// Confidence interval of a ratio (head / base)
// ---------------------------------------------------------------------------------------

export interface RatioInterval {
  /** Hodges-Lehmann estimate: the median of all pairwise ratios head_j / base_i. */
  estimate: number;
  low: number;
  high: number;
  /** The confidence actually achieved (<= the requested level only when unattainable). */
  confidence: number;
}

/**
 * Distribution-free confidence interval for the ratio head/base, from the m·n pairwise
 * ratios y_j/x_i (the Hodges-Lehmann shift interval on the log scale): Hodges & Lehmann,
 * Ann. Math. Statist. 34, 1963; Bauer, "Constructing confidence sets using rank statistics",
 * JASA 67, 1972; Hollander & Wolfe §4.3. With the ratios sorted R(1) <= ... <= R(mn), the
 * interval [R(k), R(mn+1-k)] covers the true ratio with probability 1 - 2·P(U <= k-1),
 * using the exact no-ties U distribution. k is the largest with that coverage >= level;
 * when even k = 1 (the full range of ratios) cannot reach the level - 3 vs 3 runs gives at
 * most 90 % - the full range is returned with the confidence it does have.
 * Values must be positive (latencies, rates).
 */
export function ratioInterval(base: readonly number[], head: readonly number[], level = 0.95): RatioInterval {
  const m = base.length;
  const n = head.length;
  if (m === 0 || n === 0) throw new RangeError('ratioInterval needs at least one value on each side');
  const ratios: number[] = [];
  for (const b of base) for (const h of head) ratios.push(h / b);
  ratios.sort((a, b) => a - b);
  const estimate = median(ratios);
  const mn = m * n;
  const total = binomial(m + n, m);
  const counts = m * n <= EXACT_LIMIT ? mannWhitneyCounts(m, n) : undefined;
  let k = 1;
  let confidence: number;
  if (counts) {
    // cdf(k-1) = P(U <= k-1); grow k while the wider tail keeps coverage >= level.
    let cdf = (counts[0] as number) / total;
    confidence = 1 - 2 * cdf;
    while (k < Math.ceil(mn / 2)) {
      const nextCdf = cdf + (counts[k] as number) / total;
      if (1 - 2 * nextCdf < level) break;
      cdf = nextCdf;
      k++;
      confidence = 1 - 2 * cdf;
    }
  } else {
    // Large samples: the normal approximation of the U quantile (Hollander & Wolfe 4.3).
    const z = normalQuantile(1 - (1 - level) / 2);
    k = Math.max(1, Math.floor(mn / 2 - z * Math.sqrt((mn * (m + n + 1)) / 12)));
    confidence = level;
  }
  return { estimate, low: ratios[k - 1] as number, high: ratios[mn - k] as number, confidence: Math.max(0, confidence) };
}

/** Inverse standard normal CDF by bisection (only used for large samples). */
function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
