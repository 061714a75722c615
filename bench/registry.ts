/**
 * The mechanism registry: adding a mechanism is one file in `bench/mechanisms/` plus one
 * line here. Nothing else in podipc switches on a mechanism's id; the matrix reads
 * `requires`, `variants` and `supports()`.
 */
import type { Mechanism } from './mechanism.js';
import { tcp } from './mechanisms/tcp.js';

export const mechanisms: readonly Mechanism[] = [
  tcp,
];

export function findMechanism(id: string): Mechanism | undefined {
  return mechanisms.find((m) => m.id === id);
}
