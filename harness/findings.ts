/**
 * What a results file says beyond its raw numbers, read the same way by the report, the
 * run summary and recommend: which cases lost messages, which mechanisms busy-poll, whether
 * the budgets were large enough to decide on, which percentiles enough samples back, whether
 * a case's independent runs agree, and what a mechanism needs in the pod spec. Pure.
 */
import { requirementsOf, type Mechanism } from '../bench/mechanism.js';
import { REQUIREMENT_INFO, type Requirement } from '../core/requirements.js';
import type { CaseResult, RunConfigRecord } from '../core/results.js';
import { percentileBacked, samplesToBack } from '../core/stats.js';
import type { RuntimeId } from '../core/vocabulary.js';

/**
 * Lost or corrupted messages, or lost wake-ups (a sleep its timer ended with the message
 * already there: the latency includes that timer): a lossy case ranks after every clean
 * one and never "wins".
 */
export function hasLoss(c: Pick<CaseResult, 'integrity'>): boolean {
  return !!c.integrity && (c.integrity.lost > 0 || c.integrity.corrupt > 0 || (c.integrity.lostWakeups ?? 0) > 0);
}

/**
 * A poller is on CPU for the whole wall time, so in the latency probe its CPU per round
 * trip is about the mean round trip, on both sides at once. A blocking mechanism
 * alternates: the sides take turns and sleep in the kernel. Node's own per-message work can
 * reach 70-80 % of a round trip on one side (tcp on a 2-vCPU VM), hence both sides and 0.9.
 */
export const BUSY_POLL_SHARE = 0.9;

/** Does this latency case show busy-polling: both sides on CPU for (nearly) every round trip? */
export function busyPolls(latencyCase: Pick<CaseResult, 'cpu' | 'latencyNs'> | undefined): boolean {
  const c = latencyCase;
  return !!c?.cpu && !!c.latencyNs && c.latencyNs.mean > 0 && Math.min(c.cpu.clientUsPerMsg, c.cpu.serverUsPerMsg) * 1e3 >= BUSY_POLL_SHARE * c.latencyNs.mean;
}

/**
 * The budgets below which a run is a smoke test, not a measurement to decide on: the quick
 * profile, fewer than MIN_DECISION_RUNS independent runs per case, or less than
 * MIN_DECISION_MEASURE_MS measured per case and run. (A comparison needs more still: the
 * exact U test needs 4 runs per side, 5 to tolerate one out-of-order run; compare says so.)
 */
export const MIN_DECISION_RUNS = 3;
export const MIN_DECISION_MEASURE_MS = 200;

/** Why these budgets are too small to decide on, or undefined when they are not. */
export function smokeBudget(config: Pick<RunConfigRecord, 'quick' | 'runs' | 'measureMs'>): string | undefined {
  const why: string[] = [];
  if (config.quick) why.push('a --quick run');
  if (config.runs < MIN_DECISION_RUNS) why.push(`${config.runs} run${config.runs === 1 ? '' : 's'} per case (fewer than ${MIN_DECISION_RUNS})`);
  if (config.measureMs < MIN_DECISION_MEASURE_MS) why.push(`${config.measureMs} ms measured per case and run (under ${MIN_DECISION_MEASURE_MS} ms)`);
  return why.length ? why.join(', ') : undefined;
}

/**
 * How many round trips back a case's percentiles: all of them when the case's statistics
 * come from the merged histogram (schema 2: `samples`); for a schema 1 file, whose
 * percentiles are medians of per-run percentiles, each run's own count - the smallest.
 */
export function backingSamples(c: Pick<CaseResult, 'samples' | 'runs'>): number | undefined {
  if (c.samples !== undefined) return c.samples;
  const ok = c.runs.filter((r) => r.status === 'ok');
  return ok.length > 0 && ok.every((r) => r.samples !== undefined) ? Math.min(...ok.map((r) => r.samples!)) : undefined;
}

/**
 * A case's independent runs disagree when its worst run is at least this many times its best
 * one (latency: the runs' own p50s; throughput: their msg/s). A case's latency pools every
 * run's round trips (its msg/s is the runs' median), so a split like 0.27-0.43 µs in three runs and 0.95-0.97 µs in two
 * (native spinning shm on a 2-vCPU VM, BENCHMARKS.md "Runs that disagree") reads as one
 * ordinary p50. Twice: a gap large enough to change a decision, so the runs measured
 * different situations (where the scheduler or the hypervisor put the two sides, a
 * neighbour's load), not one situation with jitter.
 */
export const RUNS_DISAGREE_FACTOR = 2;

export interface RunSpread {
  /** ok runs compared. */
  runs: number;
  /** The best and the worst run's own number: ns (p50) for latency, msg/s for throughput. */
  best: number;
  worst: number;
  /** worst / best for latency, best / worst for throughput: >= 1. */
  factor: number;
}

/** The spread of a latency or throughput case's ok runs; undefined with fewer than two, or for other probes. */
export function runSpread(c: Pick<CaseResult, 'probe' | 'runs'>): RunSpread | undefined {
  const ok = c.runs.filter((r) => r.status === 'ok');
  const values =
    c.probe === 'latency' ? ok.map((r) => r.latencyNs?.p50) : c.probe === 'throughput' ? ok.map((r) => r.throughput?.msgsPerSec) : [];
  const numbers = values.filter((v): v is number => v !== undefined && v > 0);
  if (numbers.length < 2) return undefined;
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  return c.probe === 'latency' ? { runs: numbers.length, best: lo, worst: hi, factor: hi / lo } : { runs: numbers.length, best: hi, worst: lo, factor: hi / lo };
}

/** The spread when the runs disagree (factor >= RUNS_DISAGREE_FACTOR), else undefined. */
export function runsDisagree(c: Pick<CaseResult, 'probe' | 'runs'>): RunSpread | undefined {
  const s = runSpread(c);
  return s && s.factor >= RUNS_DISAGREE_FACTOR ? s : undefined;
}

/** undefined when `samples` back the p-th percentile, else why not ("176 round trips; p99.9 needs 10,000"). */
export function unbackedPercentile(samples: number | undefined, p: number): string | undefined {
  if (samples === undefined) return `the number of round trips behind it is not recorded; p${p} needs ${samplesToBack(p).toLocaleString('en')}`;
  return percentileBacked(samples, p) ? undefined : `${samples.toLocaleString('en')} round trips; p${p} needs ${samplesToBack(p).toLocaleString('en')} (10 beyond it)`;
}

/** The requirements that apply to a runtime (the Node probe's addon is not the native probe's). */
export function requirementsFor(mech: Pick<Mechanism, 'requires' | 'variantRequires'>, variant: string | undefined, runtime: RuntimeId): Requirement[] {
  return requirementsOf(mech, variant).filter((r) => {
    const only = REQUIREMENT_INFO[r].onlyFor;
    return only === undefined || only === runtime;
  });
}

export const DEFAULT_POD_NEED = 'nothing beyond a default pod (containers of a pod share the network namespace)';

/** What the pod spec needs for a mechanism, in words: one line per requirement. */
export function podNeeds(requires: readonly Requirement[]): string[] {
  return requires.length ? requires.map((r) => REQUIREMENT_INFO[r].podNeed) : [DEFAULT_POD_NEED];
}
