/**
 * The recommend engine: given measured results and a workload (message size, rpc or
 * stream, optional p99 budget, rate and CPU budget, pod constraints), which mechanisms can
 * serve it, which is best, and what does the pod spec need for each?
 *
 * Pure: results + the mechanism registry's declarations in, a ranked answer out. Pod needs
 * come from each mechanism's `requires` and `variantRequires` (bench/registry.ts) through
 * core/requirements.ts; nothing here branches on a mechanism's name.
 */
import type { Mechanism } from '../../bench/mechanism.js';
import { REQUIREMENT_INFO } from '../../core/requirements.js';
import { placementsOf, type CaseResult, type ResultFile } from '../../core/results.js';
import { mechanismLabel, type PlacementId, type RuntimeId } from '../../core/vocabulary.js';
import { busyPolls, hasLoss, podNeeds, requirementsFor, runsDisagree, smokeBudget, type RunSpread } from '../findings.js';
import { formatBytes, formatNs, formatRate, formatUs, sig3 } from '../report/format.js';
import { rateVerdicts, type RateVerdict } from './rate.js';

export type Pattern = 'rpc' | 'stream';

export interface RecommendRequest {
  messageBytes: number;
  pattern: Pattern;
  /** rpc: the p99 round trip must be at most this (µs). stream: checked on the latency probe when measured. */
  p99UsMax?: number;
  /** Messages (rpc: calls) per second the workload needs. */
  rateMsgsPerSec?: number;
  /** CPU cores (client + server) the workload may spend on talking, at `rateMsgsPerSec`. */
  cpuCoresMax?: number;
  /** The two sides live in different pods. */
  crossPod: boolean;
  /** The two sides do not share an IPC namespace (e.g. a runtime that isolates it). */
  noIpcNamespace: boolean;
  /** Which probe's numbers: undefined = native when the results hold ok native cases, else node. */
  runtime?: RuntimeId;
  /** Which placement's numbers: undefined = the first of the file. */
  placement?: PlacementId;
}

/** What recommend needs from a registry entry. */
export type MechanismInfo = Pick<Mechanism, 'id' | 'requires' | 'variantRequires' | 'summary' | 'lossy'>;

/**
 * Namespaced sysctls that cap a message's size (mq_overview(7), msgsnd(2)). When a case ran
 * under a value smaller than its message, the mechanism chunked; raising the sysctl sends
 * whole messages, but Kubernetes calls these "unsafe": the kubelet must allow them.
 */
const SIZE_SYSCTLS: Record<string, string> = {
  'fs.mqueue.msgsize_max': 'bytes per POSIX message',
  'kernel.msgmax': 'bytes per SysV message',
  'kernel.msgmnb': 'bytes per SysV queue',
};

export type Constraint = 'size' | 'topology' | 'ipc-namespace' | 'skipped' | 'failed' | 'integrity' | 'p99' | 'rate' | 'cpu' | 'not-measured';

export interface Exclusion {
  mechanism: string;
  constraint: Constraint;
  reason: string;
}

export interface Choice {
  rank: number;
  mechanism: string;
  /** What it is, in words fit for the topology asked about. */
  summary: string | undefined;
  p50Ns?: number;
  p99Ns?: number;
  msgsPerSec?: number;
  cpu?: { clientUsPerMsg: number; serverUsPerMsg: number };
  /** stream: CPU µs per byte moved (client + server) at the measured rate. */
  cpuUsPerByte?: number;
  /** CPU cores (client + server) the requested rate costs. */
  coresAtRate?: number;
  /** The latency probe shows both sides busy for most of each round trip: it polls. */
  busyPolls: boolean;
  /** The case's independent runs disagree (findings.ts runsDisagree): its number is less certain than it reads. */
  runsDisagree?: RunSpread;
  podNeeds: string[];
  podSpecYaml: string[];
  sysctlAdvice: string[];
  /** One line: the numbers the rank is based on. */
  basis: string;
}

export interface Recommendation {
  request: RecommendRequest;
  topology: CaseResult['topology'];
  runtime: RuntimeId;
  placement: PlacementId;
  /** The measured size used (the nearest >= requested), or undefined when none is. */
  sizeUsed?: number;
  /** What the ranking orders by, in words. */
  rankedBy: string;
  /** Read these before the choices: results too small to decide on. */
  warnings: string[];
  notes: string[];
  choices: Choice[];
  excluded: Exclusion[];
  /** When nothing fits: which constraint excluded how many, in words. */
  nothingFits?: string;
  env: { placement: string; host: string; gitCommit: string };
}

/** Costs are compared to a tenth of a core: closer than that, the lower p99 wins. */
const CORE_STEP = 0.1;

/** Cores one side spends at `rate` messages/s costing `usPerMsg` each; a poller spends at least a whole core. */
function sideCores(rate: number, usPerMsg: number, polls: boolean): number {
  const cores = rate * usPerMsg * 1e-6;
  return polls ? Math.max(1, cores) : cores;
}

/**
 * Across pods the network mechanisms cross the pod network (pod IP to pod IP, through the
 * CNI), not the pod's loopback: say so instead of the same-pod summary.
 */
function summaryFor(info: MechanismInfo | undefined, crossPod: boolean): string | undefined {
  if (!info) return undefined;
  if (!crossPod) return info.summary;
  const across = info.summary.replace(/\bover the pod loopback\b/, 'over the pod network (pod IP to pod IP)');
  return across === info.summary ? `${info.summary} (across pods: over the pod network)` : across;
}

/** The runtime recommend reads by default: native when it measured something, else node. */
export function defaultRuntime(results: ResultFile): RuntimeId {
  return results.cases.some((c) => c.runtime === 'native' && c.status === 'ok') ? 'native' : 'node';
}

/** Rank mechanisms for a workload. Pure. */
export function recommend(results: ResultFile, request: RecommendRequest, registry: readonly MechanismInfo[]): Recommendation {
  const topology: CaseResult['topology'] = request.crossPod ? 'cross-pod' : 'same-pod';
  const probe = request.pattern === 'rpc' ? 'latency' : 'throughput';
  const runtime = request.runtime ?? defaultRuntime(results);
  const placement = request.placement ?? placementsOf(results)[0]!;
  const notes: string[] = [];
  const warnings: string[] = [];
  const excluded: Exclusion[] = [];
  const rate = request.rateMsgsPerSec;
  const out: Recommendation = {
    request,
    topology,
    runtime,
    placement,
    rankedBy:
      request.pattern === 'rpc'
        ? rate !== undefined
          ? `CPU cores at ${formatRate(rate)} (to ${CORE_STEP} core), then p99 round trip`
          : 'p99 round trip'
        : rate !== undefined
          ? `CPU cores at ${formatRate(rate)}`
          : 'CPU per byte',
    warnings,
    notes,
    choices: [],
    excluded,
    env: { placement: placementsOf(results).join(', '), host: results.env.hostname ?? results.env.cpuModel, gitCommit: results.tool.gitCommit },
  };
  const smoke = smokeBudget(results.config);
  if (smoke) warnings.push(`these results come from a smoke run (${smoke}): rankings between close mechanisms are noise. Re-run 'podipc run' without --quick before choosing.`);
  if (results.interrupted) warnings.push('the run was interrupted (Ctrl-C): mechanisms it never reached are missing from these results.');
  const runtimeWhy = request.runtime
    ? `as asked (--runtime ${runtime})`
    : runtime === 'native'
      ? 'the native probe measured these results (--runtime node for the Node probe)'
      : results.cases.some((c) => c.runtime === 'native')
        ? 'the native probe measured nothing ok here, so the Node probe'
        : 'the only runtime in these results';
  notes.push(`Numbers of the ${runtime} probe on ${placement}: ${runtimeWhy}.`);

  const mine = results.cases.filter((c) => c.runtime === runtime && c.placement === placement);
  const inTopology = mine.filter((c) => c.probe === probe && c.topology === topology);
  const labels = [...new Set(mine.map((c) => mechanismLabel(c)))].sort();
  const sizes = [...new Set(inTopology.map((c) => c.messageBytes))].sort((a, b) => a - b);
  const sizeUsed = sizes.find((s) => s >= request.messageBytes);
  if (sizeUsed === undefined) {
    out.nothingFits =
      sizes.length === 0
        ? `the results have no ${probe} cases ${topology === 'cross-pod' ? 'across pods' : 'in one pod'} for the ${runtime} probe on ${placement}; run 'podipc run' with the ${probe} probe${topology === 'cross-pod' ? ' and the cross-pod topology' : ''}.`
        : `no measured size is >= ${formatBytes(request.messageBytes)} (the largest is ${formatBytes(sizes[sizes.length - 1] as number)}); run 'podipc run --sizes ${request.messageBytes}'.`;
    for (const label of labels) excluded.push({ mechanism: label, constraint: 'size', reason: out.nothingFits });
    return out;
  }
  out.sizeUsed = sizeUsed;
  notes.push(
    sizeUsed === request.messageBytes
      ? `Using the measured size ${formatBytes(sizeUsed)}.`
      : `No case measured ${formatBytes(request.messageBytes)}; using the nearest measured size above it, ${formatBytes(sizeUsed)} (${sizeUsed} bytes).`,
  );

  // rpc at a rate: where the rate probe measured a mechanism, its behaviour at the nearest
  // measured rate >= the one asked for decides (queueing and idle wake-ups included), not an
  // extrapolation from the ping-pong.
  const atRate = new Map<string, RateVerdict>();
  if (request.pattern === 'rpc' && rate !== undefined) {
    const q = { messageBytes: sizeUsed, ratePerSec: rate, p99BudgetNs: (request.p99UsMax ?? Infinity) * 1e3, runtime, topology, placement };
    for (const v of rateVerdicts(results, q)) atRate.set(v.mechanism, v);
    if (atRate.size > 0) notes.push(`Where the rate probe measured a mechanism, its p99 response time and CPU at the nearest measured rate >= ${formatRate(rate)} decide (a fixed arrival schedule, queueing included), not the ping-pong.`);
  }
  const candidates: Array<{ c: CaseResult; info: MechanismInfo | undefined; polls: boolean; measured?: Extract<RateVerdict, { holds: true }> }> = [];
  for (const label of labels) {
    const c = inTopology.find((x) => mechanismLabel(x) === label && x.messageBytes === sizeUsed);
    const any = c ?? mine.find((x) => mechanismLabel(x) === label)!;
    const info = registry.find((m) => m.id === any.mechanism);
    const requires = info ? requirementsFor(info, any.variant, runtime) : [];
    // Pod constraints first: they hold whatever was measured.
    if (request.crossPod) {
      const local = requires.filter((r) => !REQUIREMENT_INFO[r].crossPod);
      if (local.length) {
        excluded.push({ mechanism: label, constraint: 'topology', reason: `needs ${local.join(', ')}, which separate pods do not share` });
        continue;
      }
    }
    if (request.noIpcNamespace) {
      const ipc = requires.filter((r) => REQUIREMENT_INFO[r].ipcNamespace);
      if (ipc.length) {
        excluded.push({ mechanism: label, constraint: 'ipc-namespace', reason: `needs ${ipc.join(', ')}, and --no-ipc-namespace says the sides do not share one` });
        continue;
      }
    }
    if (!c) {
      excluded.push({ mechanism: label, constraint: 'not-measured', reason: `no ${probe} case at ${formatBytes(sizeUsed)} ${topology} in these results` });
      continue;
    }
    if (c.status !== 'ok') {
      excluded.push({ mechanism: label, constraint: c.status, reason: `${c.status} at ${formatBytes(sizeUsed)}: ${c.reason ?? 'no reason recorded'}` });
      continue;
    }
    if (hasLoss(c)) {
      const i = c.integrity!;
      excluded.push({
        mechanism: label,
        constraint: 'integrity',
        reason: `lost ${i.lost} and corrupted ${i.corrupt} of ${i.sent} messages at ${formatBytes(sizeUsed)}: ${request.pattern === 'stream' ? 'a stream must deliver every message' : 'every call would need a timeout and a retry'}`,
      });
      continue;
    }
    const latencyCase = mine.find((x) => x.probe === 'latency' && x.topology === topology && x.messageBytes === sizeUsed && mechanismLabel(x) === label && x.status === 'ok');
    const verdict = atRate.get(label);
    if (verdict && !verdict.holds) {
      excluded.push({ mechanism: label, constraint: /p99 response/.test(verdict.reason) ? 'p99' : 'rate', reason: `rate probe: ${verdict.reason}` });
      continue;
    }
    if (verdict && verdict.holds) {
      candidates.push({ c, info, polls: busyPolls(latencyCase), measured: verdict });
      continue;
    }
    if (request.p99UsMax !== undefined) {
      const p99 = latencyCase?.latencyNs?.p99;
      if (p99 === undefined) {
        if (request.pattern === 'rpc') {
          excluded.push({ mechanism: label, constraint: 'not-measured', reason: 'no p99 recorded' });
          continue;
        }
      } else if (p99 / 1e3 > request.p99UsMax) {
        excluded.push({ mechanism: label, constraint: 'p99', reason: `p99 round trip ${formatNs(p99)} is over the ${request.p99UsMax} µs budget` });
        continue;
      }
    }
    if (rate !== undefined) {
      const capacity = request.pattern === 'rpc' ? (c.latencyNs && c.latencyNs.p50 > 0 ? 1e9 / c.latencyNs.p50 : undefined) : c.throughput?.msgsPerSec;
      if (capacity !== undefined && capacity < rate) {
        excluded.push({
          mechanism: label,
          constraint: 'rate',
          reason:
            request.pattern === 'rpc'
              ? `one connection completes at most ${formatRate(capacity)} calls (1 / p50), under the requested ${formatRate(rate)}`
              : `streams at most ${formatRate(capacity)}, under the requested ${formatRate(rate)}`,
        });
        continue;
      }
    }
    const polls = busyPolls(latencyCase);
    if (request.cpuCoresMax !== undefined && rate !== undefined && c.cpu) {
      const cores = sideCores(rate, c.cpu.clientUsPerMsg, polls) + sideCores(rate, c.cpu.serverUsPerMsg, polls);
      if (cores > request.cpuCoresMax) {
        excluded.push({
          mechanism: label,
          constraint: 'cpu',
          reason: `costs ≈ ${sig3(cores)} cores at ${formatRate(rate)}${polls ? ' (it busy-polls: a whole core per side at any rate)' : ''}, over the --cpu-cores ${request.cpuCoresMax} budget`,
        });
        continue;
      }
    }
    candidates.push({ c, info, polls });
  }

  const choices: Choice[] = candidates.map(({ c, info, polls, measured }) => {
    const choice = buildChoice(c, info, polls, request, sizeUsed, runtime);
    if (measured && rate !== undefined) {
      // Measured at that rate: the CPU per message there already holds what idle waiting costs.
      choice.p99Ns = measured.responseP99Ns;
      choice.coresAtRate = (rate * measured.cpuUsPerMsg) / 1e6;
      choice.basis = `rate probe: ${measured.basis}; ≈ ${sig3(choice.coresAtRate)} cores at ${formatRate(rate)}`;
    }
    return choice;
  });
  const cmpName = (a: Choice, b: Choice): number => (a.mechanism < b.mechanism ? -1 : a.mechanism > b.mechanism ? 1 : 0);
  const step = (cores: number | undefined): number => (cores === undefined ? Infinity : Math.ceil(cores / CORE_STEP - 1e-9));
  if (request.pattern === 'rpc' && rate !== undefined) {
    // Cost-aware: what the rate costs in CPU first (a poller burns two cores for 100 calls/s), then latency.
    choices.sort((a, b) => step(a.coresAtRate) - step(b.coresAtRate) || (a.p99Ns ?? Infinity) - (b.p99Ns ?? Infinity) || cmpName(a, b));
  } else if (request.pattern === 'rpc') {
    choices.sort((a, b) => (a.p99Ns ?? Infinity) - (b.p99Ns ?? Infinity) || (a.p50Ns ?? Infinity) - (b.p50Ns ?? Infinity) || cmpName(a, b));
    notes.push('Ranked by latency alone; pass --rate (and --cpu-cores) to rank by what your call rate costs in CPU: a busy-polling mechanism burns a core per side at any rate.');
  } else if (rate !== undefined) {
    choices.sort((a, b) => (a.coresAtRate ?? Infinity) - (b.coresAtRate ?? Infinity) || cmpName(a, b));
  } else {
    choices.sort((a, b) => (a.cpuUsPerByte ?? Infinity) - (b.cpuUsPerByte ?? Infinity) || (b.msgsPerSec ?? 0) - (a.msgsPerSec ?? 0) || cmpName(a, b));
    notes.push('Stream costs are at each mechanism’s full measured rate; pass --rate to rank by the CPU your load costs (busy-polling costs a core per side at any rate).');
  }
  choices.forEach((ch, i) => (ch.rank = i + 1));
  out.choices = choices;

  if (request.pattern === 'stream' && request.p99UsMax !== undefined) {
    notes.push('The throughput probe records no latency; --p99-us was checked against the latency probe at the same size where it was measured.');
  }
  if (choices.length === 0) {
    const byConstraint = new Map<Constraint, string[]>();
    for (const e of excluded) byConstraint.set(e.constraint, [...(byConstraint.get(e.constraint) ?? []), e.mechanism]);
    out.nothingFits =
      'no measured mechanism meets every constraint. ' +
      [...byConstraint.entries()].map(([k, v]) => `${CONSTRAINT_TEXT[k]} excluded ${v.join(', ')}`).join('; ') +
      '.';
  }
  return out;
}

export const CONSTRAINT_TEXT: Record<Constraint, string> = {
  size: 'the message size',
  topology: '--cross-pod',
  'ipc-namespace': '--no-ipc-namespace',
  skipped: 'a skipped case',
  failed: 'a failed case',
  integrity: 'lost or corrupted messages',
  p99: '--p99-us',
  rate: '--rate',
  cpu: '--cpu-cores',
  'not-measured': 'missing measurements',
};

function buildChoice(c: CaseResult, info: MechanismInfo | undefined, polls: boolean, request: RecommendRequest, sizeUsed: number, runtime: RuntimeId): Choice {
  const requires = info ? requirementsFor(info, c.variant, runtime) : [];
  const needs = info ? podNeeds(requires) : [`unknown: '${c.mechanism}' is not in this podipc's mechanism registry`];
  const podSpecYaml = requires.map((r) => REQUIREMENT_INFO[r].podSpecYaml).filter((y): y is string => y !== undefined);

  const sysctlAdvice: string[] = [];
  for (const [name, value] of Object.entries(c.limits ?? {})) {
    const what = SIZE_SYSCTLS[name];
    if (!what || value >= sizeUsed) continue;
    sysctlAdvice.push(
      `measured with ${name}=${value} (${what}), so each ${formatBytes(sizeUsed)} message was chunked. To send whole messages, raise it to >= ${sizeUsed}: ` +
        `it is an "unsafe" namespaced sysctl, so the kubelet must allow it (KubeletConfiguration allowedUnsafeSysctls: ["${name}"]) and the pod sets ` +
        `securityContext.sysctls: [{ name: ${name}, value: "${sizeUsed}" }]. Optional: the numbers above already include the chunking.`,
    );
  }

  const choice: Choice = { rank: 0, mechanism: mechanismLabel(c), summary: summaryFor(info, request.crossPod), busyPolls: polls, podNeeds: needs, podSpecYaml, sysctlAdvice, basis: '' };
  if (c.latencyNs) {
    choice.p50Ns = c.latencyNs.p50;
    choice.p99Ns = c.latencyNs.p99;
  }
  if (c.throughput) choice.msgsPerSec = c.throughput.msgsPerSec;
  if (c.cpu) choice.cpu = { ...c.cpu };
  if (c.cpu) choice.cpuUsPerByte = (c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg) / sizeUsed;
  const rate = request.rateMsgsPerSec;
  // CPU seconds per second = rate × µs per message / 1e6, per side.
  if (rate !== undefined && c.cpu) choice.coresAtRate = sideCores(rate, c.cpu.clientUsPerMsg, polls) + sideCores(rate, c.cpu.serverUsPerMsg, polls);
  const cpuText = c.cpu ? `CPU ${formatUs(c.cpu.clientUsPerMsg)} client + ${formatUs(c.cpu.serverUsPerMsg)} server per message` : 'CPU not measured';
  const parts: string[] = [];
  if (request.pattern === 'rpc') {
    parts.push(`p99 ${formatNs(choice.p99Ns ?? NaN)}, p50 ${formatNs(choice.p50Ns ?? NaN)} round trip`, cpuText);
  } else {
    parts.push(`${formatRate(choice.msgsPerSec ?? NaN)} max`, cpuText);
    if (choice.cpuUsPerByte !== undefined) parts.push(`${sig3(choice.cpuUsPerByte * 1e3)} ns CPU per byte`);
  }
  if (choice.coresAtRate !== undefined && rate !== undefined) parts.push(`≈ ${sig3(choice.coresAtRate)} cores at ${formatRate(rate)}`);
  const split = runsDisagree(c);
  if (split) {
    choice.runsDisagree = split;
    const f = c.probe === 'latency' ? (v: number) => `${formatNs(v)} p50` : formatRate;
    parts.push(`its ${split.runs} runs disagree, ${f(split.best)} to ${f(split.worst)} (${sig3(split.factor)}x): re-run before choosing on this number`);
  }
  // Pinned to separate cores a spin round trip takes microseconds; with both containers on
  // one core each side spins out its scheduler timeslice first (milliseconds).
  if (polls) parts.push('busy-polls: a full core per side while waiting, and each side needs its own core (Guaranteed QoS, static CPU manager): sharing one, a round trip waits out scheduler timeslices (ms)');
  choice.basis = parts.join('; ');
  return choice;
}
