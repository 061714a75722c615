/**
 * What the harness asks of one process pair, and the plan each side receives. Shared by
 * every placement and by the Kubernetes renderer (which puts the plans into pod specs),
 * so it sits below both.
 */
import { PROTOCOL_VERSION, type Plan, type PlanCase } from '../core/protocol.js';
import type { RuntimeId, Topology } from '../core/vocabulary.js';

/** One run of one mechanism in one runtime: a fresh server/client pair executing a list of cases. */
export interface PairSpec {
  mechanism: string;
  variant: string | undefined;
  runtime: RuntimeId;
  topology: Topology;
  run: number;
  cases: PlanCase[];
  budget: Plan['budget'];
}

/** The plan each side receives; placements fill `dirs`, `net` and `ipc` for their pod layout. */
export function sidePlans(spec: PairSpec, common: Pick<Plan, 'dirs' | 'net' | 'ipc'>): { server: Plan; client: Plan } {
  const plan = (role: Plan['role']): Plan => ({
    protocolVersion: PROTOCOL_VERSION,
    role,
    mechanism: spec.mechanism,
    ...(spec.variant ? { variant: spec.variant } : {}),
    topology: spec.topology,
    run: spec.run,
    cases: spec.cases,
    budget: spec.budget,
    ...common,
  });
  return { server: plan('server'), client: plan('client') };
}
