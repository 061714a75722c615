/**
 * Reading a Pod object (as `kubectl get pod -o json` prints it): has the container we wait
 * for reached its state, is the pod stuck in a way waiting will not fix, or should we keep
 * waiting? Pure; the watch in `exec.ts` calls it on every update.
 */
import type { PodWait } from './steps.js';

export type PodProgress =
  | { kind: 'done'; detail: string }
  /** Waiting longer will not help (image missing, forbidden sysctl, container exited early). */
  | { kind: 'stuck'; detail: string }
  | { kind: 'waiting'; detail: string };

/** Waiting reasons that never resolve by themselves for a pod with restartPolicy Never. */
const STUCK_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; signal?: number };
}

interface ContainerStatus {
  name?: string;
  state?: ContainerState;
}

interface PodLike {
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

function asPod(value: unknown): PodLike {
  return typeof value === 'object' && value !== null ? (value as PodLike) : {};
}

/** "exit code 1 (Error)", "exit code 0 (Completed)". */
export function describeTermination(t: NonNullable<ContainerState['terminated']>): string {
  const parts = [`exit code ${t.exitCode ?? '?'}`];
  if (t.reason) parts.push(`(${t.reason}${t.message ? `: ${t.message.trim()}` : ''})`);
  if (t.signal) parts.push(`signal ${t.signal}`);
  return parts.join(' ');
}

/** The container's status from a pod object, if the kubelet has reported one. */
export function containerStatus(pod: unknown, container: string): ContainerStatus | undefined {
  return asPod(pod).status?.containerStatuses?.find((s) => s.name === container);
}

export function podProgress(pod: unknown, want: PodWait): PodProgress {
  const status = asPod(pod).status ?? {};
  const target = containerStatus(pod, want.container);
  const state = target?.state ?? {};
  const where = `${want.pod}/${want.container}`;

  if (want.state === 'terminated' && state.terminated) return { kind: 'done', detail: `${where} ${describeTermination(state.terminated)}` };
  if (want.state === 'running' && state.running) return { kind: 'done', detail: `${where} running` };
  if (want.state === 'running' && state.terminated) {
    return { kind: 'stuck', detail: `${where} exited before it was needed: ${describeTermination(state.terminated)}` };
  }

  // Pod-level failures: the kubelet refused it (e.g. SysctlForbidden), or it was evicted.
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    const why = [status.reason, status.message].filter(Boolean).join(': ');
    return { kind: 'stuck', detail: `pod ${want.pod} is ${status.phase}${why ? ` (${why})` : ''} before ${where} was ${want.state}` };
  }

  for (const s of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return { kind: 'stuck', detail: `${want.pod}/${s.name}: ${waiting.reason}${waiting.message ? `: ${waiting.message.trim()}` : ''}` };
    }
  }

  const unschedulable = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable) {
    // Not stuck: the previous pair's pods may still be releasing their requests.
    return { kind: 'waiting', detail: `pod ${want.pod} not scheduled yet (${unschedulable.reason ?? ''}: ${unschedulable.message ?? ''})` };
  }
  const waiting = state.waiting;
  if (waiting?.reason) return { kind: 'waiting', detail: `${where} waiting: ${waiting.reason}` };
  return { kind: 'waiting', detail: `pod ${want.pod} ${status.phase ?? 'not reported yet'}` };
}
