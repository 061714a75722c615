/**
 * A placement decides where the two containers of a pod run; nothing else branches on it.
 * One small interface, in the spirit of kind's provider.go: capabilities up front, then
 * check, open, run pairs, close. Adding a placement is one file plus one line in
 * `placements/index.ts`.
 */
import type { ProbeLine } from '../../core/protocol.js';
import type { Requirement } from '../../core/requirements.js';
import type { PlacementFacts } from '../../core/results.js';
import type { PlacementId, Topology } from '../../core/vocabulary.js';
import type { Availability } from '../availability.js';
import type { ClusterTarget } from '../config.js';
import type { PlacementCapabilities } from '../capabilities.js';
import type { PairSpec } from '../plan.js';
import type { Runtime } from '../runtimes/runtime.js';

export interface PlacementOptions {
  /** Unique per run; prefixes every name the run creates (dirs, IPC objects, namespaces). */
  runTag: string;
  sysvSlot: number;
  /** Per-container resources, as kubelet sets them; only those the capabilities honour are ever passed. */
  resources: { cpuLimit?: number | undefined; pin?: readonly number[] | undefined; memoryBytes?: number | undefined };
  /** Delete long-lived infrastructure the placement created (the kind cluster) afterwards. */
  teardown?: boolean;
  /** k8s: the context and nodes to run in (--context, --node-a, --node-b). */
  cluster?: ClusterTarget | undefined;
  /** Progress and warnings for the user; one line each. */
  log: (line: string) => void;
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
  /**
   * What this session lacks of what its capabilities promise, with the reason: e.g. no
   * tmpfs volume without root, or the native addon not built on this host.
   */
  lacks(topology: Topology): ReadonlyMap<Requirement, string>;
  /** Can this session start the runtime's probe? (Host placements: is it built here.) */
  runtimeAvailability(runtime: Runtime): Availability;
  /** What results.json records about this placement (env.placements[id]). */
  facts(): PlacementFacts;
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
  readonly capabilities: PlacementCapabilities;
  /** Whether this placement can run here; the reason names the fix when not. Fast, creates nothing. */
  check(): Promise<Availability>;
  open(options: PlacementOptions): Promise<PlacementSession>;
}
