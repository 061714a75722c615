/**
 * What the image placements (podman, kind, k8s) share: the same capabilities - real pods
 * from the manifests of harness/k8s/, the probes from the probe image - and the same
 * check/open shape around a placement's own settings, prerequisites and session. A new
 * image placement is one file calling `imagePlacement` and one line in `index.ts`.
 */
import { POD_PROVIDES, type PlacementCapabilities } from '../capabilities.js';
import type { PlacementId } from '../../core/vocabulary.js';
import type { Availability } from '../availability.js';
import type { Placement, PlacementOptions, PlacementSession } from './placement.js';

export const IMAGE_PLACEMENT_CAPABILITIES: PlacementCapabilities = {
  topologies: ['same-pod', 'cross-pod'],
  // The addon and the native probe are built into the image, so they are in every pod.
  provides: POD_PROVIDES,
  // A pod spec applies resources.limits (CFS quota, memory) but cannot choose CPUs by
  // number: which cores a Guaranteed pod gets is the kubelet's static CPU manager's choice
  // (kind: PODIPC_KIND_PINNED=1), and podman's kube play takes no cpuset from a pod spec.
  resourceControls: { cpuLimit: true, pin: false, memory: true },
  probeSource: 'image',
  // A pod is rendered per mechanism, with what that mechanism requires.
  pairScope: 'mechanism',
};

export type SettingsResult<S> = { ok: true; settings: S } | { ok: false; reason: string };

export interface ImagePlacementSpec<S> {
  id: PlacementId;
  /** The placement's environment variables, validated once (the reason names the fix); `options` when a run opens. */
  settings(env: NodeJS.ProcessEnv, options?: PlacementOptions): SettingsResult<S>;
  /** Beyond valid settings: the tools and privileges it needs. Fast, creates nothing. */
  prerequisites(env: NodeJS.ProcessEnv): Availability | Promise<Availability>;
  /** Opens the session; load its modules here, so checking and every other command stay fast. */
  open(options: PlacementOptions, settings: S): Promise<PlacementSession>;
}

export function imagePlacement<S>(spec: ImagePlacementSpec<S>): Placement {
  return {
    id: spec.id,
    capabilities: IMAGE_PLACEMENT_CAPABILITIES,
    async check() {
      const settings = spec.settings(process.env);
      if (!settings.ok) return { ok: false, reason: settings.reason };
      return spec.prerequisites(process.env);
    },
    async open(options: PlacementOptions) {
      const parsed = spec.settings(process.env, options);
      if (!parsed.ok) throw new Error(parsed.reason);
      return spec.open(options, parsed.settings);
    },
  };
}
