import type { Cpu, Integrity, Warmup, LatencyHistogramPairs, LatencyNs, ProbeLine, Throughput } from '../../core/protocol.js';

/** What a probe needs to know about its case; built by the entrypoint from the plan. */
export interface ProbeSettings {
  messageBytes: number;
  warmupMs: number;
  /** Warm-up also lasts at least this many round trips (messages), so V8 has optimised the loop. */
  warmupRoundTrips: number;
  /**
   * Before the plan's warm-up, at least this many round trips (messages), stopping early once
   * `capMs` has passed: a mechanism's first case warms V8's code for it, a later case its new
   * size's branches (bench/warmup-policy.ts).
   */
  fixedWarmup?: { roundTrips: number; capMs: number };
  /** Latency probe: after the warm-ups above, settle windows until the round trip stops getting faster, for at most this long (0: none). */
  settleCapMs: number;
  measureMs: number;
  /**
   * The peer is presumed dead after this long without an expected frame: every receive is
   * bounded by it, so a stopped or hung side fails its case instead of hanging the pair.
   */
  silenceTimeoutMs: number;
  lossy: boolean;
}

/** The rate probe's fields of a result line (bench/probes/rate.ts). */
type RateFields = Partial<
  Pick<
    ProbeLine,
    'ratePerSec' | 'burst' | 'pacingSpinUsPerMsg' | 'achievedRatePerSec' | 'responseNs' | 'responseHistogram' | 'serviceNs' | 'serviceHistogram' | 'selfLagP99Ns' | 'clientBehind' | 'p99BudgetNs' | 'steps' | 'sustainableRatePerSec'
  >
>;

/** One run of one case, as measured by the client. */
export interface ProbeOutcome extends RateFields {
  latencyNs?: LatencyNs;
  samples?: number;
  latencyHistogram?: LatencyHistogramPairs;
  throughput?: Throughput;
  elapsedNs?: number;
  cpu: Cpu;
  integrity: Integrity;
  /** The warm-up this run actually had (latency probe): round trips and wall time. */
  warmup?: Warmup;
}
