/**
 * The case matrix: placements x runtimes x topologies x selections x probes x sizes, each
 * case either runnable or `skipped` with the reason (a runtime that is not built or does
 * not implement the mechanism, a requirement the pod lacks, a limit the mechanism names).
 * Everything is decided from data - capabilities, requirements, runtimes - before
 * anything runs. Runnable cases are grouped per placement/runtime/topology - and per
 * mechanism/variant where the placement's pods are specced per mechanism (capabilities
 * `pairScope`): one process pair per group and run executes all of the group's cases.
 */
import { requirementsOf } from '../bench/mechanism.js';
import { findMechanism } from '../bench/registry.js';
import type { Plan, PlanCase, RateSearch } from '../core/protocol.js';
import { REQUIREMENT_INFO, type Requirement } from '../core/requirements.js';
import type { PlacementId, ProbeKind, RuntimeId, Topology } from '../core/vocabulary.js';
import type { Availability } from './availability.js';
import type { PlacementCapabilities } from './capabilities.js';
import type { Selection } from './selection.js';
import { runtimes } from './runtimes/index.js';
import type { Runtime } from './runtimes/runtime.js';

export interface MatrixCase {
  mechanism: string;
  variant: string | undefined;
  runtime: RuntimeId;
  placement: PlacementId;
  probe: ProbeKind;
  messageBytes: number;
  topology: Topology;
  /** Rate cases: the target rate of a fixed-rate case... */
  ratePerSec?: number;
  /** ...or the sustainable-rate search. */
  search?: RateSearch;
  /** Rate cases in bursts: this many messages share each intended send time (absent: 1). */
  burst?: number;
  /** Set when the case will not run; the reason goes into results.json. */
  skip?: string;
}

export interface PairGroup {
  placement: PlacementId;
  runtime: RuntimeId;
  topology: Topology;
  /** Indices into `cases`, in plan order (mechanism by mechanism); the plan's caseIndex is the position here. */
  caseIds: number[];
}

export interface Matrix {
  cases: MatrixCase[];
  groups: PairGroup[];
}

/** What the matrix needs to know of a placement: its capabilities, and what an open session lacks. */
export interface PlacementOffer {
  id: PlacementId;
  capabilities: PlacementCapabilities;
  lacks(topology: Topology): ReadonlyMap<Requirement, string>;
  runtimeAvailability(runtime: Runtime): Availability;
}

/** An offer from capabilities alone, for image placements before a session exists (`podipc k8s render`). */
export function capabilityOffer(placement: { id: PlacementId; capabilities: PlacementCapabilities }): PlacementOffer {
  return { ...placement, lacks: () => new Map(), runtimeAvailability: () => ({ ok: true }) };
}

export interface MatrixRequest {
  selections: readonly Selection[];
  probes: readonly ProbeKind[];
  sizes: readonly number[];
  topologies: readonly Topology[];
  runtimes: readonly RuntimeId[];
  /**
   * The rate probe's cases per size: one per fixed rate, and one search when asked for.
   * Required when `probes` includes 'rate'.
   */
  rate?: { ratesPerSec: readonly number[]; search?: RateSearch; burst?: number };
}

/** The rate probe's variants of a (probe, size) cell: one per rate plus the search; other probes: one. */
function rateCells(request: MatrixRequest, probe: ProbeKind): Array<Pick<MatrixCase, 'ratePerSec' | 'search' | 'burst'>> {
  if (probe !== 'rate') return [{}];
  if (!request.rate || (request.rate.ratesPerSec.length === 0 && !request.rate.search)) {
    throw new Error("the rate probe needs rates or a search (MatrixRequest.rate): pass --rates or --rate-search");
  }
  const burst = request.rate.burst !== undefined && request.rate.burst > 1 ? { burst: request.rate.burst } : {};
  return [...request.rate.ratesPerSec.map((ratePerSec) => ({ ratePerSec, ...burst })), ...(request.rate.search ? [{ search: request.rate.search, ...burst }] : [])];
}

/** Why a requirement is missing for this placement/topology/runtime, or undefined when it is met. */
function missingReason(r: Requirement, offer: PlacementOffer, topology: Topology, runtime: RuntimeId): string | undefined {
  const info = REQUIREMENT_INFO[r];
  if (info.onlyFor !== undefined && info.onlyFor !== runtime) return undefined;
  if (!offer.capabilities.provides[topology].includes(r)) {
    return topology === 'cross-pod' && !info.crossPod ? info.crossPodReason : `the ${offer.id} placement does not provide ${info.summary}`;
  }
  return offer.lacks(topology).get(r);
}

export function buildMatrix(request: MatrixRequest, offers: readonly PlacementOffer[]): Matrix {
  const cases: MatrixCase[] = [];
  const groups: PairGroup[] = [];
  for (const offer of offers) {
    const topologies = request.topologies.filter((t) => offer.capabilities.topologies.includes(t));
    for (const runtimeId of request.runtimes) {
      const runtime = runtimes[runtimeId];
      const available = offer.runtimeAvailability(runtime);
      for (const topology of topologies) {
        const newGroup = (): PairGroup => ({ placement: offer.id, runtime: runtimeId, topology, caseIds: [] });
        let group = newGroup();
        for (const { mechanism, variant } of request.selections) {
          const mech = findMechanism(mechanism);
          if (!mech) throw new Error(`no mechanism '${mechanism}' in the registry`);
          const missing = requirementsOf(mech, variant)
            .map((r) => missingReason(r, offer, topology, runtimeId))
            .find((reason) => reason !== undefined);
          if (offer.capabilities.pairScope === 'mechanism' && group.caseIds.length > 0) {
            groups.push(group);
            group = newGroup();
          }
          for (const probe of request.probes) {
            for (const [messageBytes, cell] of request.sizes.flatMap((size) => rateCells(request, probe).map((r) => [size, r] as const))) {
              const c: MatrixCase = { mechanism, variant, runtime: runtimeId, placement: offer.id, probe, messageBytes, topology, ...cell };
              const implemented = available.ok ? runtime.implements(mechanism, variant, probe) : available;
              const support = mech.supports(probe, messageBytes, variant);
              if (!implemented.ok) c.skip = implemented.reason;
              else if (missing !== undefined) c.skip = missing;
              else if (!support.ok) c.skip = support.reason;
              else group.caseIds.push(cases.length);
              cases.push(c);
            }
          }
        }
        if (group.caseIds.length > 0) groups.push(group);
      }
    }
  }
  return { cases, groups };
}

/**
 * Bytes each way after which a case's own buffers and caches are warm. The per-case warm-up
 * is not what optimises the code - the probe's first case of each mechanism warms the process
 * for thousands of round trips (bench/entrypoint.ts) - so at large sizes it needs bytes, not
 * iterations: 100 round trips of 256 KiB would be 25 MiB and most of a quick case's time.
 */
export const CASE_WARMUP_BYTES = 4 * 1024 * 1024;
/** ...and never fewer round trips than this. */
export const CASE_WARMUP_MIN_ROUND_TRIPS = 10;

/** A case's warm-up round trips: the budget's, capped at CASE_WARMUP_BYTES of messages (at least the minimum). */
export function caseWarmupRoundTrips(budgetRoundTrips: number, messageBytes: number): number {
  return Math.min(budgetRoundTrips, Math.max(CASE_WARMUP_MIN_ROUND_TRIPS, Math.ceil(CASE_WARMUP_BYTES / messageBytes)));
}

/** The plan cases of a pair over these matrix cases: caseIndex is the position within the pair's plan. */
export function planCases(matrix: Matrix, caseIds: readonly number[], budget: Pick<Plan['budget'], 'warmupRoundTrips'>): PlanCase[] {
  return caseIds.map((id, caseIndex) => {
    const c = matrix.cases[id]!;
    const warmupRoundTrips = caseWarmupRoundTrips(budget.warmupRoundTrips, c.messageBytes);
    return {
      caseIndex,
      mechanism: c.mechanism,
      ...(c.variant ? { variant: c.variant } : {}),
      probe: c.probe,
      messageBytes: c.messageBytes,
      ...(warmupRoundTrips !== budget.warmupRoundTrips ? { warmupRoundTrips } : {}),
      ...(c.ratePerSec !== undefined ? { ratePerSec: c.ratePerSec } : {}),
      ...(c.search ? { search: c.search } : {}),
      ...(c.burst !== undefined ? { burst: c.burst } : {}),
    };
  });
}
