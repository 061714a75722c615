/**
 * The three ways two containers in a pod talk, as chart families: what the pod must share
 * for a mechanism to work. Derived from each mechanism's declared `requires` (the registry),
 * never from its name, so a new mechanism lands in the right family by declaring what it
 * needs. Pure apart from reading the (static) registry.
 */
import { mechanisms as registryMechanisms } from '../../bench/registry.js';
import { requirementsOf, type Mechanism } from '../../bench/mechanism.js';
import type { Requirement } from '../../core/requirements.js';

export const FAMILIES = ['loopback-network', 'shared-volume', 'ipc-namespace', 'other'] as const;
export type Family = (typeof FAMILIES)[number];

export const FAMILY_TEXT: Record<Family, string> = {
  'loopback-network': 'loopback network',
  'shared-volume': 'shared volume',
  'ipc-namespace': 'IPC namespace',
  other: 'not in this registry',
};

/** What crosses between the containers, for chart subtitles. */
export const FAMILY_NEEDS: Record<Family, string> = {
  'loopback-network': "the pod's shared network namespace",
  'shared-volume': 'an emptyDir mounted in both containers',
  'ipc-namespace': "the pod's shared IPC namespace",
  other: 'unknown',
};

/** The family a set of requirements puts a mechanism in: IPC before volume before network. */
export function familyOfRequirements(requires: readonly Requirement[]): Exclude<Family, 'other'> {
  if (requires.includes('ipc-namespace') || requires.includes('shared-dev-shm')) return 'ipc-namespace';
  if (requires.includes('volume-disk') || requires.includes('volume-tmpfs')) return 'shared-volume';
  return 'loopback-network';
}

export interface FamilyLookup {
  family(c: { mechanism: string; variant?: string | undefined }): Family;
  /** Position of the mechanism in the registry (stable colour order), Infinity when unknown. */
  order(mechanism: string): number;
}

/** A lookup over a registry (the real one by default; tests may pass their own). */
export function familyLookup(registry: readonly Pick<Mechanism, 'id' | 'requires' | 'variantRequires'>[] = registryMechanisms): FamilyLookup {
  return {
    family(c) {
      const mech = registry.find((m) => m.id === c.mechanism);
      return mech ? familyOfRequirements(requirementsOf(mech, c.variant)) : 'other';
    },
    order(mechanism) {
      const i = registry.findIndex((m) => m.id === mechanism);
      return i < 0 ? Infinity : i;
    },
  };
}
