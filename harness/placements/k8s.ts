/**
 * The `k8s` placement: the kind placement's path - the same manifests, the same image, the
 * same command plans - against any cluster the user already has, named by its kubeconfig
 * context (`--context`, never the current one), with the pods on chosen nodes (`--node-a`,
 * `--node-b`, or the first two that take pods) so cross-pod can mean cross-node. Before it
 * creates anything it checks what the cluster allows (k8s/checks.ts); afterwards it deletes
 * the run's namespace and nothing else.
 */
import type { Availability } from '../availability.js';
import { imagePlacement } from './image-placement.js';
import { findOnPath } from './kind/prereq.js';
import { k8sSettings, type K8sSettings } from './k8s/settings.js';

function prerequisites(env: NodeJS.ProcessEnv): Availability {
  if (!findOnPath('kubectl', env)) return { ok: false, reason: "kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/), e.g. your distribution's `kubectl` package" };
  return { ok: true };
}

export const k8sPlacement = imagePlacement<K8sSettings>({
  id: 'k8s',
  settings: (env) => k8sSettings(env),
  prerequisites,
  async open(options, settings) {
    const { openK8sSession } = await import('./k8s/session.js');
    return openK8sSession(options, settings);
  },
});
