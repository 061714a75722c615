import type { Cpu, Integrity, LatencyHistogramPairs, LatencyNs, Throughput } from '../../core/protocol.js';

/** What a probe needs to know about its case; built by the entrypoint from the plan. */
export interface ProbeSettings {
  messageBytes: number;
  warmupMs: number;
  /** Warm-up also lasts at least this many round trips (messages), so V8 has optimised the loop. */
  warmupRoundTrips: number;
  measureMs: number;
  /**
   * The peer is presumed dead after this long without an expected frame: every receive is
   * bounded by it, so a stopped or hung side fails its case instead of hanging the pair.
   */
  silenceTimeoutMs: number;
  lossy: boolean;
}

/** One run of one case, as measured by the client. */
export interface ProbeOutcome {
  latencyNs?: LatencyNs;
  samples?: number;
  latencyHistogram?: LatencyHistogramPairs;
  throughput?: Throughput;
  elapsedNs?: number;
  cpu: Cpu;
  integrity: Integrity;
}
