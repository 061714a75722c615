/**
 * The `k8s` placement: the kind placement's path - the same manifests, the same image, the
 * same command plans - against any cluster the user already has, named by its kubeconfig
 * context (`--context`, never the current one), with the pods on chosen nodes (`--node-a`,
 * `--node-b`, or the first two that take pods) so cross-pod can mean cross-node. Before it
 * creates anything it checks what the cluster allows (k8s/checks.ts); afterwards it deletes
 * the run's namespace and nothing else.
 */
import type { Availability } from '../availability.js';
import { findOnPath } from './kind/prereq.js';
import type { Placement, PlacementOptions } from './placement.js';
import { k8sSettings } from './k8s/settings.js';

function availability(env: NodeJS.ProcessEnv): Availability {
  const settings = k8sSettings(env);
  if (!settings.ok) return { ok: false, reason: settings.reason };
  if (!findOnPath('kubectl', env)) return { ok: false, reason: "kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/), e.g. your distribution's `kubectl` package" };
  return { ok: true };
}

export const k8sPlacement: Placement = {
  id: 'k8s',
  capabilities: {
    topologies: ['same-pod', 'cross-pod'],
    provides: { 'same-pod': ['ipc-namespace', 'shared-dev-shm', 'volume-disk', 'volume-tmpfs', 'native-addon'], 'cross-pod': ['native-addon'] },
    // CPU numbers are the kubelet's to choose (static CPU manager), not podipc's.
    resourceControls: { cpuLimit: true, pin: false, memory: true },
    probeSource: 'image',
    pairScope: 'mechanism',
  },
  async check() {
    return availability(process.env);
  },
  async open(options: PlacementOptions) {
    const parsed = k8sSettings(process.env);
    if (!parsed.ok) throw new Error(parsed.reason);
    const { openK8sSession } = await import('./k8s/session.js');
    return openK8sSession(options, parsed.settings);
  },
};
