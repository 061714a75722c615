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
import { resolve } from 'node:path';
import type { Requirement } from '../../bench/mechanism.js';
import type { Placement, PlacementOptions, PlacementSession } from './placement.js';
import { checkPrerequisites } from './kind/prereq.js';
import { kindSettings } from './kind/settings.js';

/** The repository: the Docker build context (dist/harness/placements -> three levels up). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

const SAME_POD: ReadonlySet<Requirement> = new Set<Requirement>(['ipc-namespace', 'shared-dev-shm', 'volume-disk', 'volume-tmpfs', 'native-addon']);
// The addon is built into the image, so it is there in every pod.
const CROSS_POD: ReadonlySet<Requirement> = new Set<Requirement>(['native-addon']);

const CROSS_POD_MISSING: Record<Requirement, string> = {
  'ipc-namespace': 'separate pods do not share an IPC namespace (each pod sandbox has its own)',
  'shared-dev-shm': "separate pods do not share /dev/shm (each pod's is its own tmpfs)",
  'volume-disk': 'an emptyDir belongs to one pod; separate pods cannot mount the same one',
  'volume-tmpfs': 'an emptyDir {medium: Memory} belongs to one pod; separate pods cannot mount the same one',
  'native-addon': 'the native addon is built into the probe image',
};

/**
 * What a kind pod offers the matrix, without a cluster: `podipc k8s render` builds the same
 * matrix from it that a run builds from the session.
 */
export const kindPodModel: Pick<PlacementSession, 'topologies' | 'provides' | 'describeMissing'> = {
  topologies: ['same-pod', 'cross-pod'],
  provides: (topology) => (topology === 'same-pod' ? SAME_POD : CROSS_POD),
  describeMissing: (topology, requirement) =>
    topology === 'cross-pod' ? CROSS_POD_MISSING[requirement] : `a pod in kind provides ${requirement}; this should not be missing`,
};

export const kindPlacement: Placement = {
  id: 'kind',
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
