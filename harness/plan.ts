/**
 * What the harness asks of one process pair, and the plan each side receives. Shared by
 * every placement and by the Kubernetes renderer (which puts the plans into pod specs),
 * so it sits below both.
 */
import { PROTOCOL_VERSION, type Plan, type PlanCase } from '../core/protocol.js';
import { mechanismLabel, type RuntimeId, type Topology } from '../core/vocabulary.js';

/**
 * One run in one runtime: a fresh server/client pair executing a list of cases. Each case
 * names its mechanism; a pair runs one mechanism (image placements: a pod per mechanism) or
 * several in turn (placements whose capabilities say `pairScope: 'all'`).
 */
export interface PairSpec {
  runtime: RuntimeId;
  topology: Topology;
  run: number;
  cases: PlanCase[];
  budget: Plan['budget'];
}

export interface MechanismRef {
  mechanism: string;
  variant: string | undefined;
}

/** The distinct mechanisms (with variants) of a pair, in the order its cases first use them. */
export function pairMechanisms(spec: Pick<PairSpec, 'cases'>): MechanismRef[] {
  const seen = new Map<string, MechanismRef>();
  for (const c of spec.cases) {
    const key = mechanismLabel(c);
    if (!seen.has(key)) seen.set(key, { mechanism: c.mechanism, variant: c.variant });
  }
  return [...seen.values()];
}

/** The one mechanism of a pair that placements with `pairScope: 'mechanism'` receive. */
export function soleMechanism(spec: Pick<PairSpec, 'cases'>): MechanismRef {
  const refs = pairMechanisms(spec);
  if (refs.length !== 1) {
    throw new Error(`a pair for a one-mechanism pod has cases of ${refs.length} mechanisms (${refs.map(mechanismLabel).join(', ')}): group the matrix per mechanism`);
  }
  return refs[0]!;
}

/** The plan each side receives; placements fill `dirs`, `net` and `ipc` for their pod layout. */
export function sidePlans(spec: PairSpec, common: Pick<Plan, 'dirs' | 'net' | 'ipc'>): { server: Plan; client: Plan } {
  const plan = (role: Plan['role']): Plan => ({
    protocolVersion: PROTOCOL_VERSION,
    role,
    topology: spec.topology,
    run: spec.run,
    cases: spec.cases,
    budget: spec.budget,
    ...common,
  });
  return { server: plan('server'), client: plan('client') };
}
