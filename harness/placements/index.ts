/**
 * The placement registry: one line per placement. `auto` picks the first available in
 * AUTO_ORDER; nothing else in the harness branches on a placement's id.
 */
import type { PlacementId } from '../../core/vocabulary.js';
import { RESOURCE_CONTROLS, RESOURCE_FLAGS, type ResourceControl } from '../capabilities.js';
import { k8sPlacement } from './k8s.js';
import { kindPlacement } from './kind.js';
import type { Placement } from './placement.js';
import { podmanPlacement } from './podman.js';
import { processPlacement } from './process.js';
import { sandboxPlacement } from './sandbox.js';

export const placements: Readonly<Partial<Record<PlacementId, Placement>>> = {
  process: processPlacement,
  sandbox: sandboxPlacement,
  podman: podmanPlacement,
  kind: kindPlacement,
  k8s: k8sPlacement,
};

/** Tried in this order by `--placement auto` (clusters are used only when asked for). */
export const AUTO_ORDER: readonly PlacementId[] = ['sandbox', 'process'];

export function findPlacement(id: PlacementId): Placement | undefined {
  return placements[id];
}

/**
 * Resolve the requested placements. `auto` picks the first available, saying why a
 * preferred one was passed over; an explicit choice that cannot run is an error naming
 * the fix (exit 2), as is a resource control a chosen placement cannot apply.
 */
export async function choosePlacements(
  wanted: readonly PlacementId[] | 'auto',
  requested: ReadonlySet<ResourceControl>,
  log: (line: string) => void,
): Promise<{ placements: Placement[] } | { error: string }> {
  const chosen: Placement[] = [];
  if (wanted === 'auto') {
    for (const id of AUTO_ORDER) {
      const placement = findPlacement(id);
      if (!placement) continue;
      const availability = await placement.check();
      if (availability.ok) {
        chosen.push(placement);
        break;
      }
      log(`placement auto: not using ${id} (${availability.reason})`);
    }
    if (chosen.length === 0) return { error: 'no placement can run here; build the probe with `npm run build`' };
  } else {
    for (const id of wanted) {
      const placement = findPlacement(id);
      if (!placement) return { error: `--placement ${id}: this build of podipc has no ${id} placement yet; use one of ${Object.keys(placements).join(', ')}` };
      const availability = await placement.check();
      if (!availability.ok) return { error: `--placement ${id}: ${availability.reason}` };
      chosen.push(placement);
    }
  }
  for (const placement of chosen) {
    const refused = RESOURCE_CONTROLS.filter((c) => requested.has(c) && !placement.capabilities.resourceControls[c]);
    if (refused.length > 0) {
      const honours = Object.values(placements).filter((p) => refused.every((c) => p!.capabilities.resourceControls[c])).map((p) => p!.id);
      return {
        error: `${refused.map((c) => RESOURCE_FLAGS[c]).join(', ')}: the ${placement.id} placement cannot apply ${refused.length > 1 ? 'them' : 'it'}; use --placement ${honours.join(' or ') || 'sandbox'}, or drop the flag`,
      };
    }
  }
  return { placements: chosen };
}
