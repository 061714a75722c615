/** Which mechanisms (and variants) a run measures: from the registry, or from `--mechanisms`. */
import { mechanisms } from '../bench/registry.js';
import { mechanismLabel } from '../core/vocabulary.js';

export interface Selection {
  mechanism: string;
  variant: string | undefined;
}

/** Every mechanism, each variant on its own. */
export function allSelections(): Selection[] {
  return mechanisms.flatMap((m): Selection[] => (m.variants?.length ? m.variants.map((v) => ({ mechanism: m.id, variant: v })) : [{ mechanism: m.id, variant: undefined }]));
}

export const selectionLabel = (s: Selection): string => mechanismLabel(s);
