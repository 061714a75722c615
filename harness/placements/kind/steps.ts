/**
 * What the kind placement does, as data. Every cluster action is a command line in a list
 * that pure functions build (`commands.ts`) and a small runner executes (`exec.ts`); tests
 * read the lists without running anything. A step either runs once or watches a pod until
 * a container reaches a state.
 */

/** Names under which a step's stdout is kept for later use (facts, logs, pod status). */
export type CaptureKey =
  | 'clusters'
  | 'kind-version'
  | 'image-id'
  | 'k8s-version'
  | 'nodes'
  | 'kubelet-config'
  | 'server-pod'
  | 'client-pod'
  | 'client-log'
  | 'server-log'
  // podipc image build
  | 'image-source'
  | 'image-config'
  // the podman placement
  | 'client-exit'
  | 'podman-inspect'
  | 'podman-info'
  | 'podman-pods'
  | 'podman-volumes'
  | 'podman-networks'
  // the k8s placement's checks
  | 'can-i';

export interface StepBase {
  /** What the step is for: shown in progress lines and in errors. */
  purpose: string;
  /** Program and arguments; never a shell string. */
  argv: readonly string[];
  timeoutMs: number;
  /** Keep stdout under this key (a watch keeps the last pod it saw). */
  capture?: CaptureKey;
  /**
   * Runs on every path out: after an earlier step failed or the run was interrupted too.
   * Cleanup (delete what the plan created) and diagnostics (logs of a failed pod).
   */
  always?: boolean;
  /** A failure is noted but does not stop the plan (facts that are nice to have, diagnostics). */
  optional?: boolean;
}

export interface RunStep extends StepBase {
  kind: 'run';
  /** Written to the command's stdin (manifests for `kubectl apply -f -`). */
  stdin?: string;
}

/** The container state a watch waits for. */
export interface PodWait {
  pod: string;
  container: string;
  state: 'running' | 'terminated';
}

/**
 * `kubectl get pod NAME -o json --watch`: one long-lived kubectl that prints the pod on
 * every change, read until `until` holds, the pod is stuck, or the timeout. A watch, not a
 * polling loop, so no kubectl process starts up on the node's CPUs while a pair measures.
 */
export interface WatchStep extends StepBase {
  kind: 'watch';
  until: PodWait;
}

export type Step = RunStep | WatchStep;

/** One line per step, for logs and tests: `kubectl --context kind-podipc apply -f - # purpose`. */
export function describeStep(step: Step): string {
  const flags = [step.kind === 'watch' ? `until ${step.until.container} ${step.until.state}` : '', step.always ? 'always' : '', step.optional ? 'optional' : '']
    .filter(Boolean)
    .join(', ');
  return `${step.argv.join(' ')}${flags ? ` [${flags}]` : ''}  # ${step.purpose}`;
}
