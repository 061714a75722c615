/**
 * The rate probe's arithmetic, pure: the open-loop schedule, what counts as the client
 * falling behind, and the search for the sustainable rate (the highest arrival rate at
 * which the p99 response time stays within a budget with nothing lost). The probes in
 * bench/ and the native probe run the schedule; this file decides what it means.
 *
 * Response time is measured from each message's INTENDED send time, service time from its
 * actual send time (Gil Tene, "How NOT to Measure Latency", 2015; wrk2 and HdrHistogram's
 * recordValueWithExpectedInterval make the same correction). A client that keeps one
 * request outstanding - an RPC client on one connection, the common sidecar pattern - sends
 * late whenever the previous answer is late, so a stall is counted once in service time and
 * once for every request that should have been sent during it in response time.
 */

/** "1k" -> 1000, "2.5k" -> 2500, "1M" -> 1e6, "300" -> 300; undefined when not a rate. */
export function parseRatePerSec(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*(?:\/s)?\s*$/.exec(text);
  if (!m) return undefined;
  const scale = m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1e3 : 1e6;
  const rate = Number(m[1]) * scale;
  return Number.isFinite(rate) && rate > 0 ? Math.round(rate) : undefined;
}

/**
 * When message i should be sent: bursts of `burst` messages share one intended time, the
 * bursts spaced so the average rate is `ratePerSec`. t0 is the schedule's start.
 */
export function intendedSendNs(t0Ns: number, i: number, ratePerSec: number, burst = 1): number {
  const burstIndex = Math.floor(i / burst);
  return t0Ns + (burstIndex * burst * 1e9) / ratePerSec;
}

/**
 * The client fell behind its own schedule when, beyond what waiting for answers explains,
 * it sent late: its own lag (actual send - max(intended, previous answer)) at p99 exceeds a
 * tenth of the interval between messages, or 50 µs, whichever is larger. Then the run says
 * the generator, not the mechanism, limited it, and its latencies are not reported as good.
 */
export function clientBehind(selfLagP99Ns: number, ratePerSec: number): boolean {
  return selfLagP99Ns > Math.max(50_000, 0.1 * (1e9 / ratePerSec));
}

export interface RateOutcome {
  targetRatePerSec: number;
  achievedRatePerSec: number;
  responseP99Ns: number;
  lost: number;
  clientBehind: boolean;
}

/** Sustainable: the achieved rate is within 5 % of the target, p99 response within budget, nothing lost, the client on schedule. */
export function sustains(o: RateOutcome, p99BudgetNs: number): boolean {
  return !o.clientBehind && o.lost === 0 && o.responseP99Ns <= p99BudgetNs && o.achievedRatePerSec >= 0.95 * o.targetRatePerSec;
}

export interface SearchOptions {
  startRatePerSec: number;
  maxRatePerSec: number;
  /** Bisection steps after the ladder first fails: each halves the gap (on a log scale). */
  refineSteps: number;
}

export const DEFAULT_SEARCH: SearchOptions = { startRatePerSec: 1000, maxRatePerSec: 2_000_000, refineSteps: 4 };

/**
 * The next rate to try, or undefined when the search is done. A geometric ladder (x2) from
 * the start until a rate fails (or the maximum holds), then bisection on a log scale
 * between the highest rate that held and the lowest that failed. `tried` is every outcome
 * so far, in order; the answer is `sustainableRate(tried)`.
 */
export function nextSearchRate(tried: ReadonlyArray<{ ratePerSec: number; ok: boolean }>, opts: SearchOptions = DEFAULT_SEARCH): number | undefined {
  if (tried.length === 0) return opts.startRatePerSec;
  const held = tried.filter((t) => t.ok).map((t) => t.ratePerSec);
  const failed = tried.filter((t) => !t.ok).map((t) => t.ratePerSec);
  const best = held.length ? Math.max(...held) : undefined;
  const worst = failed.length ? Math.min(...failed) : undefined;
  if (worst === undefined) {
    // Still climbing.
    if (best === undefined || best >= opts.maxRatePerSec) return undefined;
    return Math.min(opts.maxRatePerSec, best * 2);
  }
  if (best === undefined) return undefined; // even the start failed: below the ladder
  const refinements = tried.length - tried.findIndex((t) => !t.ok) - 1;
  if (refinements >= opts.refineSteps || worst / best < 1.02) return undefined;
  return Math.round(Math.sqrt(best * worst));
}

/** The highest rate that held, or 0 when none did. */
export function sustainableRate(tried: ReadonlyArray<{ ratePerSec: number; ok: boolean }>): number {
  return tried.filter((t) => t.ok).reduce((m, t) => Math.max(m, t.ratePerSec), 0);
}
