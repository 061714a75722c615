/**
 * A runtime is a probe program: the same protocol (core/protocol.ts) and the same frames
 * (core/frame-format.ts), written in another language. Placements ask the runtime how to
 * start a side; the matrix asks it what it implements. Adding a runtime is one file here
 * and one line in ./index.ts.
 */
import type { Availability } from '../availability.js';
import type { ProbeKind, RuntimeId } from '../../core/vocabulary.js';

/** How to start one side of a pair on this host. */
export interface SideCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export type Implements = { ok: true } | { ok: false; reason: string };

export interface Runtime {
  readonly id: RuntimeId;
  /** One line for reports: what runs, e.g. "the Node probe (bench/entrypoint.ts) on Node 20.20". */
  summary(): string;
  /** Is this runtime's probe built on this host? The reason names the fix when not. Fast; cached. */
  availability(): Availability;
  /** Does the probe implement this mechanism, variant and probe kind? (Static limits stay with the mechanism.) */
  implements(mechanism: string, variant: string | undefined, probe: ProbeKind): Implements;
  /** Start a side on this host, the plan in a file (process and sandbox placements). */
  hostCommand(planPath: string): SideCommand;
  /** The argv inside the probe image (k8s/Dockerfile puts the checkout at /app); the plan arrives in PODIPC_PLAN. */
  readonly imageCommand: readonly string[];
}
