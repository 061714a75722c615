/**
 * The `kind` placement: the same probe, in a container image, in real pods on a local
 * kind cluster. A same-pod pair is one pod with a server and a client container; a
 * cross-pod pair is two pods and a headless Service. The manifests come from
 * `harness/k8s/render.ts`, every cluster action from the command plans in `kind/commands.ts`
 * (pure lists, run by `kind/exec.ts`), and the results from the client container's log.
 *
 * Lifecycle: check (Docker engine, kind, kubectl; fast, creates nothing) -> create the
 * cluster if it does not exist -> build the image and `kind load` it -> one namespace per
 * run -> each pair: apply, wait, logs, delete -> delete the namespace (also on Ctrl-C).
 * The cluster stays up for the next run unless --teardown.
 */
import type { Placement, PlacementOptions } from './placement.js';
import { checkPrerequisites } from './kind/prereq.js';
import { kindSettings } from './kind/settings.js';

export const kindPlacement: Placement = {
  id: 'kind',
  capabilities: {
    topologies: ['same-pod', 'cross-pod'],
    // The addon is built into the image, so it is there in every pod.
    provides: { 'same-pod': ['ipc-namespace', 'shared-dev-shm', 'volume-disk', 'volume-tmpfs', 'native-addon'], 'cross-pod': ['native-addon'] },
    // kind cannot pin to CPUs by number: PODIPC_KIND_PINNED=1 makes a cluster whose static
    // CPU manager gives Guaranteed pods exclusive cores of its own choosing.
    resourceControls: { cpuLimit: true, pin: false, memory: true },
    probeSource: 'image',
    pairScope: 'mechanism',
  },
  async check() {
    const settings = kindSettings(process.env);
    if (!settings.ok) return { ok: false, reason: settings.reason };
    return checkPrerequisites(process.env);
  },
  async open(options: PlacementOptions) {
    const parsed = kindSettings(process.env, options.teardown ?? false);
    if (!parsed.ok) throw new Error(parsed.reason);
    // Loaded only when a kind run starts: the renderer and command plans are not needed to
    // check prerequisites, and every other podipc command starts faster without them.
    const { openKindSession } = await import('./kind/session.js');
    return openKindSession(options, parsed.settings);
  },
};
