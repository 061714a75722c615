/**
 * The words both sides of podipc use, written once. Every list is a constant array; the
 * TypeScript unions and the zod enums that validate plans, result lines and results.json
 * are derived from these arrays, so adding a probe kind, a topology, a runtime or a
 * placement is one edit here (and the compiler then points at every table that must learn
 * the new word).
 */
import { z } from 'zod';

/** What a case measures: round trips, a one-way stream, or round trips at a fixed arrival rate. */
export const PROBE_KINDS = ['latency', 'throughput', 'rate'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];
export const probeKindSchema = z.enum(PROBE_KINDS);

/** Both containers in one pod, or client and server in two pods (the network baseline). */
export const TOPOLOGIES = ['same-pod', 'cross-pod'] as const;
export type Topology = (typeof TOPOLOGIES)[number];
export const topologySchema = z.enum(TOPOLOGIES);

/** Which probe program runs in the containers: the Node entrypoint or the native (C++) probe. */
export const RUNTIMES = ['node', 'native'] as const;
export type RuntimeId = (typeof RUNTIMES)[number];
export const runtimeSchema = z.enum(RUNTIMES);

/** Where the two containers of a pod run (harness/placements/ has one file per entry). */
export const PLACEMENTS = ['process', 'sandbox', 'podman', 'kind', 'k8s'] as const;
export type PlacementId = (typeof PLACEMENTS)[number];
export const placementSchema = z.enum(PLACEMENTS);

export const ROLES = ['server', 'client'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** A case that could not run is data, not an exception (tinybench's TaskResult state). */
export const CASE_STATUSES = ['ok', 'skipped', 'failed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const caseStatusSchema = z.enum(CASE_STATUSES);

/** "shm-posix/futex", or just "tcp". */
export function mechanismLabel(c: { mechanism: string; variant?: string | undefined }): string {
  return c.variant ? `${c.mechanism}/${c.variant}` : c.mechanism;
}
