/**
 * One pair in a cluster (kind's own, or any context): apply, wait, logs, delete - the plan
 * of commands.ts - and the outcome read from what the pods left (outcome.ts); and the
 * session around the pairs (ClusterSession). Shared by the kind and k8s placements, which
 * differ only in how the cluster and the image got there.
 */
import type { Requirement } from '../../../core/requirements.js';
import type { AppliedResources, PlacementFacts } from '../../../core/results.js';
import type { Availability } from '../../availability.js';
import { pairInput, renderPair, type RenderedPair, type RenderOptions } from '../../k8s/render.js';
import type { PairSpec } from '../../plan.js';
import type { PairOutcome, PlacementOptions, PlacementSession } from '../placement.js';
import { closePlan, pairPlan } from './commands.js';
import { runSteps } from './exec.js';
import type { ClusterFacts } from './facts.js';
import { pairOutcome } from './outcome.js';

function parse(text: string | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export async function runClusterPair(pair: RenderedPair, runTag: string, context: string, signal: AbortSignal): Promise<{ outcome: PairOutcome; interrupted: boolean }> {
  const result = await runSteps(pairPlan(pair, runTag, context), { signal });
  const clientPod = parse(result.captures['client-pod']);
  const outcome = pairOutcome({
    clientLog: result.captures['client-log'],
    serverLog: result.captures['server-log'],
    clientPod,
    serverPod: pair.clientObjects.length === 0 ? clientPod : parse(result.captures['server-pod']),
    stepFailure: result.failure,
    interrupted: result.interrupted,
  });
  return { outcome, interrupted: result.interrupted };
}

/**
 * A session of pods on a cluster, every command in one kubectl context: the pairs, one
 * namespace per run deleted at the end (with the cluster itself when `teardown`), and
 * nothing it lacks (both probes are built into the image, k8s/Dockerfile). The kind and k8s
 * sessions add how they set up and what they record.
 */
export abstract class ClusterSession implements PlacementSession {
  protected cluster: ClusterFacts = {};
  /** Set before the namespace's apply: a half-finished apply still leaves something to delete. */
  protected namespaceCreated = false;
  private interrupted = false;
  private closed = false;

  constructor(
    protected readonly options: PlacementOptions,
    protected readonly render: RenderOptions,
    private readonly placement: 'kind' | 'k8s',
    private readonly context: string,
    private readonly teardown: boolean,
  ) {}

  protected log(line: string): void {
    this.options.log(`${this.placement}: ${line}`);
  }

  lacks(): ReadonlyMap<Requirement, string> {
    return new Map();
  }

  runtimeAvailability(): Availability {
    return { ok: true };
  }

  abstract facts(): PlacementFacts;

  /** Called once, when the session starts to close (before anything is deleted). */
  protected closing(): void {}

  /** The resources the rendered pods ask for, as results.json records them. */
  protected appliedResources(appliedWith: string): AppliedResources {
    const { resources } = this.render;
    return {
      ...(resources.cpu !== undefined ? { cpuLimitCores: resources.cpu } : {}),
      ...(resources.memoryBytes !== undefined ? { memoryBytes: resources.memoryBytes } : {}),
      appliedWith,
    };
  }

  async runPair(spec: PairSpec, signal: AbortSignal): Promise<PairOutcome> {
    const { outcome, interrupted } = await runClusterPair(renderPair(pairInput(spec), this.render), this.options.runTag, this.context, signal);
    if (interrupted) this.interrupted = true;
    return outcome;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing();
    const result = await runSteps(closePlan(this.options.runTag, { interrupted: this.interrupted, teardown: this.teardown, namespaceCreated: this.namespaceCreated }, this.context));
    for (const problem of [result.failure, ...result.notes]) if (problem) this.log(`warning: ${problem}`);
  }
}
