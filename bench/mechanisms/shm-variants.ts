/**
 * The shared-memory rings' wake-up variants (bench/mechanisms/shm-common.ts), in a module of
 * their own: the registry lists them without loading the ring's code.
 */
export const SHM_VARIANTS = ['spin', 'futex', 'sem'] as const;
export type ShmVariant = (typeof SHM_VARIANTS)[number];
