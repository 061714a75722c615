/**
 * The case matrix: selections x probes x sizes x topologies, each case either runnable or
 * `skipped` with the reason (a requirement the pod lacks, a limit the mechanism names).
 * Runnable cases are grouped per mechanism/variant/topology: one process pair per group
 * and run executes all of the group's cases.
 */
import type { ProbeKind, Topology } from '../bench/mechanism.js';
import type { PlanCase } from '../bench/protocol.js';
import { findMechanism } from '../bench/registry.js';
import type { RunConfig } from './config.js';
import type { PlacementSession } from './placements/placement.js';

export interface MatrixCase {
  mechanism: string;
  variant: string | undefined;
  probe: ProbeKind;
  messageBytes: number;
  topology: Topology;
  /** Set when the case will not run; the reason goes into results.json. */
  skip?: string;
}

export interface PairGroup {
  mechanism: string;
  variant: string | undefined;
  topology: Topology;
  /** Indices into `cases`, in plan order; the plan's caseIndex is the position here. */
  caseIds: number[];
}

export interface Matrix {
  cases: MatrixCase[];
  groups: PairGroup[];
}

export function buildMatrix(
  config: Pick<RunConfig, 'selections' | 'probes' | 'sizes' | 'topologies'>,
  session: Pick<PlacementSession, 'topologies' | 'provides' | 'describeMissing'>,
): Matrix {
  const cases: MatrixCase[] = [];
  const groups: PairGroup[] = [];
  const topologies = config.topologies.filter((t) => session.topologies.includes(t));
  for (const topology of topologies) {
    const provided = session.provides(topology);
    for (const { mechanism, variant } of config.selections) {
      const mech = findMechanism(mechanism);
      if (!mech) throw new Error(`no mechanism '${mechanism}' in the registry`);
      const missing = mech.requires.find((r) => !provided.has(r));
      const group: PairGroup = { mechanism, variant, topology, caseIds: [] };
      for (const probe of config.probes) {
        for (const messageBytes of config.sizes) {
          const c: MatrixCase = { mechanism, variant, probe, messageBytes, topology };
          const support = mech.supports(probe, messageBytes, variant);
          if (missing) c.skip = session.describeMissing(topology, missing);
          else if (!support.ok) c.skip = support.reason;
          else group.caseIds.push(cases.length);
          cases.push(c);
        }
      }
      if (group.caseIds.length > 0) groups.push(group);
    }
  }
  return { cases, groups };
}

/** The plan cases of a group: caseIndex is the position within the group's plan. */
export function planCases(matrix: Matrix, group: PairGroup): PlanCase[] {
  return group.caseIds.map((id, caseIndex) => {
    const c = matrix.cases[id]!;
    return { caseIndex, probe: c.probe, messageBytes: c.messageBytes };
  });
}
