import type { Cpu, Integrity, LatencyNs, Throughput } from '../protocol.js';

/** What a probe needs to know about its case; built by the entrypoint from the plan. */
export interface ProbeSettings {
  messageBytes: number;
  warmupMs: number;
  measureMs: number;
  /** Give up on a Begin/End answer after this long. */
  controlTimeoutMs: number;
  lossy: boolean;
}

/** One run of one case, as measured by the client. */
export interface ProbeOutcome {
  latencyNs?: LatencyNs;
  samples?: number;
  throughput?: Throughput;
  elapsedNs?: number;
  cpu: Cpu;
  integrity: Integrity;
}
