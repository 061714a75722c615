/**
 * podipc recommend: given measured results and a workload (message size, rpc or stream,
 * optional p99 budget and rate, pod constraints), which mechanisms can serve it, which is
 * best, and what does the pod spec need for each?
 *
 * `recommend` is pure: results + the mechanism registry's declarations in, a ranked answer
 * out. Pod needs come from each mechanism's `requires` (bench/registry.ts), mapped to pod-spec
 * advice below; nothing here branches on a mechanism's name.
 */
import { parseArgs } from 'node:util';
import type { Mechanism } from '../bench/mechanism.js';
import { REQUIREMENT_INFO } from '../core/requirements.js';
import { mechanisms as registryMechanisms } from '../bench/registry.js';
import { mechanismLabel } from '../core/vocabulary.js';
import { readResultFile } from './results-file.js';
import { placementsOf, ResultFileError } from '../core/results.js';
import type { CaseResult, ResultFile } from '../core/results.js';
import { processIo, type CommandIo } from './command-io.js';
import { formatBytes, formatNs, formatRate, formatUs, sig3 } from './report/format.js';

export type Pattern = 'rpc' | 'stream';

export interface RecommendRequest {
  messageBytes: number;
  pattern: Pattern;
  /** rpc: the p99 round trip must be at most this (µs). stream: checked on the latency probe when measured. */
  p99UsMax?: number;
  /** Messages (rpc: calls) per second the workload needs. */
  rateMsgsPerSec?: number;
  /** The two sides live in different pods. */
  crossPod: boolean;
  /** The two sides do not share an IPC namespace (e.g. a runtime that isolates it). */
  noIpcNamespace: boolean;
}

/** What recommend needs from a registry entry. */
export type MechanismInfo = Pick<Mechanism, 'id' | 'requires' | 'summary'> & { lossy?: boolean | undefined };

/**
 * Namespaced sysctls that cap a message's size (PLATFORM.md). When a case ran under a value
 * smaller than its message, the mechanism chunked; raising the sysctl sends whole messages,
 * but Kubernetes calls these "unsafe": the kubelet must allow them.
 */
const SIZE_SYSCTLS: Record<string, string> = {
  'fs.mqueue.msgsize_max': 'bytes per POSIX message',
  'kernel.msgmax': 'bytes per SysV message',
  'kernel.msgmnb': 'bytes per SysV queue',
};

export type Constraint = 'size' | 'topology' | 'ipc-namespace' | 'skipped' | 'failed' | 'integrity' | 'p99' | 'rate' | 'not-measured';

export interface Exclusion {
  mechanism: string;
  constraint: Constraint;
  reason: string;
}

export interface Choice {
  rank: number;
  mechanism: string;
  summary: string | undefined;
  p50Ns?: number;
  p99Ns?: number;
  msgsPerSec?: number;
  cpu?: { clientUsPerMsg: number; serverUsPerMsg: number };
  /** stream: CPU µs per byte moved (client + server) at the measured rate. */
  cpuUsPerByte?: number;
  /** CPU cores (client + server) the requested rate costs. */
  coresAtRate?: number;
  /** The latency probe shows the client busy for most of each round trip: it polls. */
  busyPolls: boolean;
  podNeeds: string[];
  podSpecYaml: string[];
  sysctlAdvice: string[];
  /** One line: the numbers the rank is based on. */
  basis: string;
}

export interface Recommendation {
  request: RecommendRequest;
  topology: CaseResult['topology'];
  /** The measured size used (the nearest >= requested), or undefined when none is. */
  sizeUsed?: number;
  notes: string[];
  choices: Choice[];
  excluded: Exclusion[];
  /** When nothing fits: which constraint excluded how many, in words. */
  nothingFits?: string;
  env: { placement: string; host: string; gitCommit: string };
}

/**
 * A poller is on CPU for the whole wall time, so in the latency probe its CPU per round trip
 * is about the mean round trip, on both sides at once. A blocking mechanism alternates: the
 * sides take turns and sleep in the kernel. Node's own per-message work can reach 70-80 % of
 * a round trip on one side (measured: tcp on the 2-vCPU VM), hence both sides and 0.9.
 */
const BUSY_POLL_SHARE = 0.9;

function hasLoss(c: CaseResult): boolean {
  return !!c.integrity && (c.integrity.lost > 0 || c.integrity.corrupt > 0);
}

/** Rank mechanisms for a workload. Pure. */
export function recommend(results: ResultFile, request: RecommendRequest, registry: readonly MechanismInfo[]): Recommendation {
  const topology: CaseResult['topology'] = request.crossPod ? 'cross-pod' : 'same-pod';
  const probe = request.pattern === 'rpc' ? 'latency' : 'throughput';
  const notes: string[] = [];
  const excluded: Exclusion[] = [];
  const out: Recommendation = {
    request,
    topology,
    notes,
    choices: [],
    excluded,
    env: { placement: placementsOf(results).join(', '), host: results.env.hostname ?? results.env.cpuModel, gitCommit: results.tool.gitCommit },
  };

  const inTopology = results.cases.filter((c) => c.probe === probe && c.topology === topology);
  const labels = [...new Set(results.cases.map((c) => mechanismLabel(c)))].sort();
  const sizes = [...new Set(inTopology.map((c) => c.messageBytes))].sort((a, b) => a - b);
  const sizeUsed = sizes.find((s) => s >= request.messageBytes);
  if (sizeUsed === undefined) {
    out.nothingFits =
      sizes.length === 0
        ? `the results have no ${probe} cases ${topology === 'cross-pod' ? 'across pods' : 'in one pod'}; run 'podipc run' with the ${probe} probe${topology === 'cross-pod' ? ' and the cross-pod topology' : ''}.`
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

  const candidates: Array<{ c: CaseResult; info: MechanismInfo | undefined; busyPolls: boolean }> = [];
  for (const label of labels) {
    const c = inTopology.find((x) => mechanismLabel(x) === label && x.messageBytes === sizeUsed);
    const info = registry.find((m) => m.id === (c ?? results.cases.find((x) => mechanismLabel(x) === label))?.mechanism);
    const requires = info?.requires ?? [];
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
      excluded.push({
        mechanism: label,
        constraint: c.status,
        reason: `${c.status} at ${formatBytes(sizeUsed)}: ${c.reason ?? 'no reason recorded'}`,
      });
      continue;
    }
    if (hasLoss(c)) {
      const i = c.integrity as NonNullable<CaseResult['integrity']>;
      excluded.push({
        mechanism: label,
        constraint: 'integrity',
        reason: `lost ${i.lost} and corrupted ${i.corrupt} of ${i.sent} messages at ${formatBytes(sizeUsed)}: ${request.pattern === 'stream' ? 'a stream must deliver every message' : 'every call would need a timeout and a retry'}`,
      });
      continue;
    }
    const latencyCase = results.cases.find((x) => x.probe === 'latency' && x.topology === topology && x.messageBytes === sizeUsed && mechanismLabel(x) === label && x.status === 'ok');
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
    if (request.rateMsgsPerSec !== undefined) {
      const capacity = request.pattern === 'rpc' ? (c.latencyNs && c.latencyNs.p50 > 0 ? 1e9 / c.latencyNs.p50 : undefined) : c.throughput?.msgsPerSec;
      if (capacity !== undefined && capacity < request.rateMsgsPerSec) {
        excluded.push({
          mechanism: label,
          constraint: 'rate',
          reason:
            request.pattern === 'rpc'
              ? `one connection completes at most ${formatRate(capacity)} calls (1 / p50), under the requested ${formatRate(request.rateMsgsPerSec)}`
              : `streams at most ${formatRate(capacity)}, under the requested ${formatRate(request.rateMsgsPerSec)}`,
        });
        continue;
      }
    }
    // Busy-polling shows in the data: the client is on CPU for (nearly) the whole round trip.
    const lc = latencyCase;
    const busyPolls =
      !!lc?.cpu &&
      !!lc.latencyNs &&
      lc.latencyNs.mean > 0 &&
      Math.min(lc.cpu.clientUsPerMsg, lc.cpu.serverUsPerMsg) * 1e3 >= BUSY_POLL_SHARE * lc.latencyNs.mean;
    candidates.push({ c, info, busyPolls });
  }

  const choices: Choice[] = candidates.map(({ c, info, busyPolls }) => buildChoice(c, info, busyPolls, request, sizeUsed));
  if (request.pattern === 'rpc') {
    choices.sort((a, b) => (a.p99Ns ?? Infinity) - (b.p99Ns ?? Infinity) || (a.p50Ns ?? Infinity) - (b.p50Ns ?? Infinity) || cmp(a.mechanism, b.mechanism));
  } else if (request.rateMsgsPerSec !== undefined) {
    choices.sort((a, b) => (a.coresAtRate ?? Infinity) - (b.coresAtRate ?? Infinity) || cmp(a.mechanism, b.mechanism));
  } else {
    choices.sort((a, b) => (a.cpuUsPerByte ?? Infinity) - (b.cpuUsPerByte ?? Infinity) || (b.msgsPerSec ?? 0) - (a.msgsPerSec ?? 0) || cmp(a.mechanism, b.mechanism));
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

const CONSTRAINT_TEXT: Record<Constraint, string> = {
  size: 'the message size',
  topology: '--cross-pod',
  'ipc-namespace': '--no-ipc-namespace',
  skipped: 'a skipped case',
  failed: 'a failed case',
  integrity: 'lost or corrupted messages',
  p99: '--p99-us',
  rate: '--rate',
  'not-measured': 'missing measurements',
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildChoice(c: CaseResult, info: MechanismInfo | undefined, busyPolls: boolean, request: RecommendRequest, sizeUsed: number): Choice {
  const label = mechanismLabel(c);
  const requires = info?.requires ?? [];
  const podNeeds = info
    ? requires.length
      ? requires.map((r) => REQUIREMENT_INFO[r].podNeed)
      : ['nothing beyond a default pod (containers of a pod share the network namespace)']
    : [`unknown: '${c.mechanism}' is not in this podipc's mechanism registry`];
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

  const choice: Choice = { rank: 0, mechanism: label, summary: info?.summary, busyPolls, podNeeds, podSpecYaml, sysctlAdvice, basis: '' };
  if (c.latencyNs) {
    choice.p50Ns = c.latencyNs.p50;
    choice.p99Ns = c.latencyNs.p99;
  }
  if (c.throughput) choice.msgsPerSec = c.throughput.msgsPerSec;
  if (c.cpu) choice.cpu = { ...c.cpu };
  const cpuPerMsgUs = c.cpu ? c.cpu.clientUsPerMsg + c.cpu.serverUsPerMsg : undefined;
  if (cpuPerMsgUs !== undefined) choice.cpuUsPerByte = cpuPerMsgUs / sizeUsed;
  if (request.rateMsgsPerSec !== undefined && c.cpu) {
    // CPU seconds per second = rate × µs per message / 1e6, per side. A poller is on CPU
    // whether or not a message is due, so each polling side costs at least one core.
    const side = (usPerMsg: number): number => {
      const cores = (request.rateMsgsPerSec as number) * usPerMsg * 1e-6;
      return busyPolls ? Math.max(1, cores) : cores;
    };
    choice.coresAtRate = side(c.cpu.clientUsPerMsg) + side(c.cpu.serverUsPerMsg);
  }
  const cpuText = c.cpu ? `CPU ${formatUs(c.cpu.clientUsPerMsg)} client + ${formatUs(c.cpu.serverUsPerMsg)} server per message` : 'CPU not measured';
  const parts: string[] = [];
  if (request.pattern === 'rpc') {
    parts.push(`p99 ${formatNs(choice.p99Ns ?? NaN)}, p50 ${formatNs(choice.p50Ns ?? NaN)} round trip`, cpuText);
  } else {
    parts.push(`${formatRate(choice.msgsPerSec ?? NaN)} max`, cpuText);
    if (choice.cpuUsPerByte !== undefined) parts.push(`${sig3(choice.cpuUsPerByte * 1e3)} ns CPU per byte`);
  }
  if (choice.coresAtRate !== undefined) parts.push(`≈ ${sig3(choice.coresAtRate)} cores at ${formatRate(request.rateMsgsPerSec as number)}`);
  // Measured here (BENCHMARKS.md): pinned to separate cores a spin round trip is ~3 µs; with
  // both containers on one core each side spins out its timeslice first, ~8 ms.
  if (busyPolls) parts.push('busy-polls: a full core per side while waiting, and each side needs its own core (Guaranteed QoS, static CPU manager): sharing one, a round trip waits out scheduler timeslices (ms)');
  choice.basis = parts.join('; ');
  return choice;
}

/** Terminal text: the top choices, their numbers and pod needs, then what was excluded and why. */
export function formatRecommendation(r: Recommendation, top = 3): string {
  const q = r.request;
  const lines: string[] = [];
  const constraints = [
    `${formatBytes(q.messageBytes)} messages`,
    q.pattern,
    q.crossPod ? 'across pods' : 'in one pod',
    ...(q.noIpcNamespace ? ['no shared IPC namespace'] : []),
    ...(q.p99UsMax !== undefined ? [`p99 <= ${q.p99UsMax} µs`] : []),
    ...(q.rateMsgsPerSec !== undefined ? [`${formatRate(q.rateMsgsPerSec)}`] : []),
  ];
  lines.push(`podipc recommend: ${constraints.join(', ')}`);
  lines.push(`measured on ${r.env.placement} on ${r.env.host} (commit ${r.env.gitCommit.slice(0, 12)})`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  if (r.nothingFits) {
    lines.push(`Nothing fits: ${r.nothingFits}`);
  } else {
    lines.push(`Ranked by ${q.pattern === 'rpc' ? 'p99 round trip' : q.rateMsgsPerSec !== undefined ? 'CPU cores at the requested rate' : 'CPU per byte'} (best first):`);
    for (const ch of r.choices.slice(0, top)) {
      lines.push('', `${ch.rank}. ${ch.mechanism}${ch.summary ? ` - ${ch.summary}` : ''}`);
      lines.push(`   ${ch.basis}`);
      for (const need of ch.podNeeds) lines.push(`   pod needs: ${need}`);
      for (const s of ch.sysctlAdvice) lines.push(`   sysctl: ${s}`);
      for (const y of ch.podSpecYaml) lines.push('   pod spec:', ...y.split('\n').map((l) => `     ${l}`));
    }
    if (r.choices.length > top) lines.push('', `Also fits: ${r.choices.slice(top).map((c) => c.mechanism).join(', ')}.`);
  }
  if (r.excluded.length) {
    lines.push('', 'Excluded:');
    for (const e of r.excluded) lines.push(`  - ${e.mechanism} (${CONSTRAINT_TEXT[e.constraint]}): ${e.reason}`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------
// CLI glue
// ---------------------------------------------------------------------------------------

const RECOMMEND_USAGE =
  'usage: podipc recommend --results FILE --size BYTES --pattern rpc|stream [--p99-us N] [--rate MSGS] [--cross-pod] [--no-ipc-namespace] [--top N] [--format text|json]';

/**
 * `podipc recommend`: 0 with a recommendation, 1 when nothing fits (the output says which
 * constraint excluded what), 2 on bad usage or an unreadable results file.
 */
export async function recommendCommand(argv: string[], io: CommandIo = processIo, registry: readonly MechanismInfo[] = registryMechanisms): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        results: { type: 'string' },
        size: { type: 'string' },
        pattern: { type: 'string' },
        'p99-us': { type: 'string' },
        rate: { type: 'string' },
        'cross-pod': { type: 'boolean', default: false },
        'no-ipc-namespace': { type: 'boolean', default: false },
        top: { type: 'string' },
        format: { type: 'string', default: 'text' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`podipc recommend: ${(err as Error).message}\n${RECOMMEND_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${RECOMMEND_USAGE}\n`);
    return 0;
  }
  const fail = (msg: string): number => {
    io.stderr(`podipc recommend: ${msg}\n${RECOMMEND_USAGE}\n`);
    return 2;
  };
  if (!values.results) return fail("--results FILE is required: the results.json 'podipc run' wrote.");
  if (values.size === undefined) return fail('--size BYTES is required, e.g. --size 4096.');
  const messageBytes = parseSize(values.size);
  if (messageBytes === undefined) return fail(`--size ${values.size} is not a size; pass bytes (4096) or with a unit (4KiB, 1MiB).`);
  if (values.pattern !== 'rpc' && values.pattern !== 'stream') {
    return fail(`--pattern ${values.pattern ?? '(missing)'}: use --pattern rpc (request/response, ranked by p99) or --pattern stream (one-way, ranked by CPU per byte).`);
  }
  const positive = (v: string | undefined): number | undefined | null => {
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n > 0 ? n : null;
  };
  const p99UsMax = positive(values['p99-us']);
  if (p99UsMax === null) return fail(`--p99-us ${values['p99-us']} must be a positive number of microseconds, e.g. --p99-us 100.`);
  const rate = positive(values.rate);
  if (rate === null) return fail(`--rate ${values.rate} must be a positive number of messages per second, e.g. --rate 50000.`);
  const top = positive(values.top);
  if (top === null || (top !== undefined && !Number.isInteger(top))) return fail(`--top ${values.top} must be a positive integer.`);
  if (values.format !== 'text' && values.format !== 'json') return fail(`unknown --format '${values.format}'; use text or json.`);

  let results: ResultFile;
  try {
    results = await readResultFile(values.results);
  } catch (err) {
    if (err instanceof ResultFileError) {
      io.stderr(`podipc recommend: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const request: RecommendRequest = {
    messageBytes,
    pattern: values.pattern,
    crossPod: values['cross-pod'] === true,
    noIpcNamespace: values['no-ipc-namespace'] === true,
    ...(p99UsMax !== undefined ? { p99UsMax } : {}),
    ...(rate !== undefined ? { rateMsgsPerSec: rate } : {}),
  };
  const r = recommend(results, request, registry);
  io.stdout(values.format === 'json' ? JSON.stringify(r, null, 2) + '\n' : formatRecommendation(r, top ?? 3));
  return r.nothingFits ? 1 : 0;
}

/** "4096", "4KiB", "4k", "1MiB", "1m" -> bytes (binary units). */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const bytes = Math.round(Number(m[1]) * factor);
  return bytes > 0 ? bytes : undefined;
}
