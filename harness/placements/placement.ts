/**
 * A placement decides where the two containers of a pod run; nothing else branches on it.
 * One small interface, in the spirit of kind's provider.go: check, open, run pairs, close.
 * Adding a placement is one file plus one line in `placements/index.ts`.
 */
import type { PlanCase, Plan, ProbeLine } from '../../bench/protocol.js';
import type { Requirement, Topology } from '../../bench/mechanism.js';

export type PlacementId = 'process' | 'sandbox' | 'kind';

export type Availability = { ok: true } | { ok: false; reason: string };

export interface PlacementOptions {
  /** Unique per run; prefixes every name the run creates (dirs, IPC objects, namespaces). */
  runTag: string;
  sysvSlot: number;
  /** Per-container resources, as kubelet sets them (placements that cannot apply them say so). */
  resources: { cpuLimit?: number | undefined; pin?: readonly number[] | undefined; memoryBytes?: number | undefined };
  /** Delete long-lived infrastructure the placement created (the kind cluster) afterwards. */
  teardown?: boolean;
  /** Progress and warnings for the user; one line each. */
  log: (line: string) => void;
}

/** One run of one mechanism: a fresh server/client pair executing a list of cases. */
export interface PairSpec {
  mechanism: string;
  variant: string | undefined;
  topology: Topology;
  run: number;
  cases: PlanCase[];
  budget: Plan['budget'];
}

export interface PairOutcome {
  /** Result lines the client printed, in order; possibly fewer than the cases. */
  lines: ProbeLine[];
  /**
   * Set when the pair did not complete: why (exit code, signal, timeout) and the tail of
   * each side's stderr. Cases without a line become `failed` with this reason.
   */
  failure?: string;
}

export interface PlacementSession {
  /** Topologies this session can host; cross-pod needs a second pod. */
  readonly topologies: readonly Topology[];
  /**
   * What the pod provides to mechanisms in a topology. The matrix skips a case whose
   * mechanism requires something missing, with `describeMissing` as the reason.
   */
  provides(topology: Topology): ReadonlySet<Requirement>;
  /** Human reason for a missing requirement, e.g. "separate pods share no IPC namespace". */
  describeMissing(topology: Topology, requirement: Requirement): string;
  /** Facts for results.json `env` (boundary check, pinning, node info). */
  envFacts(): Record<string, unknown>;
  /**
   * Run one pair. `onLine`, when the placement can see output as it happens (local
   * processes), is called with each result line as its case completes: live progress.
   */
  runPair(spec: PairSpec, signal: AbortSignal, onLine?: (line: ProbeLine) => void): Promise<PairOutcome>;
  /** Remove everything the session created. Idempotent; also called on Ctrl-C. */
  close(): Promise<void>;
}

export interface Placement {
  readonly id: PlacementId;
  /** Whether this placement can run here; the reason names the fix when not. Fast. */
  check(): Promise<Availability>;
  open(options: PlacementOptions): Promise<PlacementSession>;
}
