/**
 * What a placement can do, as typed data the matrix reads before anything runs (kind's
 * ProviderInfo is the model): which topologies it hosts, which pod requirements its pods
 * provide, which resource controls it honours, and where its probes come from. A
 * placement that cannot apply `--cpu-limit` says so here, and the run refuses the flag up
 * front instead of recording "ignored" afterwards.
 */
import type { Requirement } from '../core/requirements.js';
import type { Topology } from '../core/vocabulary.js';

export const RESOURCE_CONTROLS = ['cpuLimit', 'pin', 'memory'] as const;
export type ResourceControl = (typeof RESOURCE_CONTROLS)[number];

/** The flag that asks for each control, for error messages. */
export const RESOURCE_FLAGS: Record<ResourceControl, string> = { cpuLimit: '--cpu-limit', pin: '--pin', memory: '--memory' };

export interface PlacementCapabilities {
  /** Topologies it can host; cross-pod needs a second pod. */
  topologies: readonly Topology[];
  /** Requirements its pods provide, per topology (a session may still lack one: see PlacementSession.lacks). */
  provides: Readonly<Record<Topology, readonly Requirement[]>>;
  /** Resource controls it applies per container, as kubelet would. */
  resourceControls: Readonly<Record<ResourceControl, boolean>>;
  /** Where the probes run from: the host's build (process, sandbox) or a probe image (podman, kind, k8s). */
  probeSource: 'host' | 'image';
  /**
   * What one process pair runs. 'mechanism': one pair per mechanism (variant), topology and
   * run - image placements spec a pod per mechanism's requirements. 'all': one pair per
   * runtime, topology and run runs every mechanism in turn - pods that provide every
   * requirement at once (process, sandbox), where a Node pair's start-up and V8 warm-up
   * would otherwise be paid once per mechanism (most of a quick run's time).
   */
  pairScope: 'mechanism' | 'all';
}

/**
 * What a pod gives its containers, for every placement that makes real pods (sandbox,
 * podman, kind, k8s): in one pod every requirement; across two pods only the addon, which
 * is in each pod's probe (the rest are what separate pods do not share: core/requirements.ts).
 */
export const POD_PROVIDES: PlacementCapabilities['provides'] = {
  'same-pod': ['ipc-namespace', 'shared-dev-shm', 'volume-disk', 'volume-tmpfs', 'native-addon'],
  'cross-pod': ['native-addon'],
};
