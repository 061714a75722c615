/**
 * The `podman` placement: the manifests every image placement renders (harness/k8s/), run
 * by `podman kube play` on this machine - a real OCI runtime, a real infra container
 * holding the pod's namespaces, real images built here without a registry. A same-pod pair
 * is one pod with a server and a client container; a cross-pod pair is two pods on a
 * network the run creates in 198.19.0.0/16 (the benchmarking range) and removes.
 *
 * Lifecycle (podman/session.ts): check (podman on PATH, root; fast, creates nothing) ->
 * adapt podman to the host (ulimits, runc) -> build the probe image if the sources changed
 * -> one detection pod: what this podman honours (tmpfs, sysctls, /dev/shm, the native
 * probe) -> each pair: volumes, kube play, wait for the client, logs, kube down, volumes
 * removed -> everything with the run's label removed (also on Ctrl-C and failure).
 */
import type { Availability } from '../availability.js';
import { podmanAdaptation, readHostLimits } from '../image/engine.js';
import { imagePlacement } from './image-placement.js';
import { findOnPath } from './kind/prereq.js';
import { podmanSettings, type PodmanSettings } from './podman/settings.js';

function prerequisites(env: NodeJS.ProcessEnv): Availability {
  if (!findOnPath('podman', env)) return { ok: false, reason: 'podman is not on PATH: install it (Debian/Ubuntu: apt-get install podman runc catatonit uidmap; scripts/setup.sh does)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the podman placement runs rootful podman (pods on networks of its own, tmpfs volumes): run as root' };
  const adaptation = podmanAdaptation(readHostLimits(env));
  if (adaptation.problem) return { ok: false, reason: adaptation.problem };
  return { ok: true };
}

export const podmanPlacement = imagePlacement<PodmanSettings>({
  id: 'podman',
  settings: (env) => podmanSettings(env),
  prerequisites,
  async open(options, settings) {
    const { PodmanSession } = await import('./podman/session.js');
    return PodmanSession.open(options, settings);
  },
});
