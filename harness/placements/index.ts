/**
 * The placement registry: one line per placement. `auto` picks the first available in
 * AUTO_ORDER; nothing else in the harness branches on a placement's id.
 */
import type { Placement, PlacementId } from './placement.js';
import { processPlacement } from './process.js';
import { sandboxPlacement } from './sandbox.js';
import { kindPlacement } from './kind.js';

export const placements: readonly Placement[] = [
  processPlacement,
  sandboxPlacement,
  kindPlacement,
];

/** Tried in this order by `--placement auto` (kind is used only when asked for). */
export const AUTO_ORDER: readonly PlacementId[] = ['sandbox', 'process'];

export function findPlacement(id: string): Placement | undefined {
  return placements.find((p) => p.id === id);
}

/**
 * Resolve `auto` to a placement, saying why a preferred one was passed over. An explicit
 * choice that cannot run is returned with its reason; the caller turns that into exit 2.
 */
export async function choosePlacement(
  wanted: PlacementId | 'auto',
  log: (line: string) => void,
): Promise<{ placement: Placement } | { error: string }> {
  if (wanted !== 'auto') {
    const placement = findPlacement(wanted);
    if (!placement) return { error: `placement '${wanted}' is not available in this build` };
    const availability = await placement.check();
    return availability.ok ? { placement } : { error: `--placement ${wanted}: ${availability.reason}` };
  }
  for (const id of AUTO_ORDER) {
    const placement = findPlacement(id);
    if (!placement) continue;
    const availability = await placement.check();
    if (availability.ok) return { placement };
    log(`placement auto: not using ${id} (${availability.reason})`);
  }
  return { error: 'no placement can run here; build the probe with `npm run build`' };
}
