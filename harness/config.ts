/**
 * `podipc run` flags -> a validated RunConfig. Every rule lives here, once; each error
 * says what was wrong, shows the value, and says what to do (exit 2 at the CLI).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { MIN_MESSAGE_BYTES } from '../core/frame-format.js';
import { mechanisms } from '../bench/registry.js';
import type { RunConfigRecord } from '../core/results.js';
import { PLACEMENTS, PROBE_KINDS, RUNTIMES, TOPOLOGIES, type PlacementId, type ProbeKind, type RuntimeId, type Topology } from '../core/vocabulary.js';
import { allSelections, type Selection } from './selection.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface RunConfig {
  /** In the order asked for; `auto` alone picks the best available (see placements/index.ts). */
  placements: PlacementId[] | 'auto';
  selections: Selection[];
  sizes: number[];
  probes: ProbeKind[];
  topologies: Topology[];
  runtimes: RuntimeId[];
  runs: number;
  quick: boolean;
  warmupMs: number;
  /** Warm-up also lasts at least this many round trips (messages): long enough for V8 to optimise the loop. */
  warmupRoundTrips: number;
  measureMs: number;
  setupTimeoutMs: number;
  /** Output directory; undefined = results/<UTC timestamp>. */
  out: string | undefined;
  cpuLimit: number | undefined;
  pin: number[] | undefined;
  memoryBytes: number | undefined;
  /** kind: delete the cluster afterwards. */
  teardown: boolean;
  /** k8s: the kubeconfig context to run in, and the nodes for the two pods (automatic when unset). */
  cluster: ClusterTarget | undefined;
}

export interface ClusterTarget {
  context: string;
  /** The node of the same-pod pods and of the cross-pod server. */
  nodeA: string | undefined;
  /** The node of the cross-pod client (cross-node when it differs from nodeA). */
  nodeB: string | undefined;
}

export const DEFAULT_SIZES = [64, 1024, 16 * 1024, 256 * 1024, 1024 * 1024];

/**
 * Budgets per case and run. Quick: the smoke suite, under a minute on 2 cores. Warm-up is
 * counted in round trips (messages) and in time: a case warms up until both have passed.
 * On top of it the Node probe warms its process once, in its first case (3000 round trips
 * or 250 ms, bench/entrypoint.ts): that is what V8 needs to optimise the loop (measured,
 * BENCHMARKS.md "Warm-up"), so the per-case minimum only has to settle what a new message
 * size changes - which is why it can be small, and why quick and full measure the same warm
 * loop. Quick is the full profile with fewer and shorter runs: same warm-up rule, less time.
 */
export const PROFILES = {
  full: { runs: 3, warmupMs: 100, warmupRoundTrips: 1000, measureMs: 500 },
  quick: { runs: 2, warmupMs: 10, warmupRoundTrips: 100, measureMs: 40 },
} as const;

const options = {
  quick: { type: 'boolean' },
  placement: { type: 'string' },
  runtime: { type: 'string' },
  mechanisms: { type: 'string' },
  sizes: { type: 'string' },
  probes: { type: 'string' },
  topology: { type: 'string' },
  runs: { type: 'string' },
  out: { type: 'string' },
  'warmup-ms': { type: 'string' },
  'budget-ms': { type: 'string' },
  'setup-timeout-ms': { type: 'string' },
  'cpu-limit': { type: 'string' },
  pin: { type: 'string' },
  memory: { type: 'string' },
  teardown: { type: 'boolean' },
  context: { type: 'string' },
  'node-a': { type: 'string' },
  'node-b': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const RUN_USAGE = `Usage: podipc run [options]

  --quick                 smoke suite: ${PROFILES.quick.runs} runs, ${PROFILES.quick.measureMs} ms per case (default ${PROFILES.full.runs} runs, ${PROFILES.full.measureMs} ms)
  --placement LIST        auto, or one or more of ${PLACEMENTS.join(', ')} (default auto: sandbox as root on Linux, else process)
  --runtime LIST          ${RUNTIMES.join(',')} (default both; native cases are skipped, with the reason, where the native probe is not built)
  --mechanisms LIST       e.g. tcp,uds,shm-posix/futex (default: all; a mechanism without /variant means all its variants)
  --sizes LIST            message sizes in bytes, suffixes k/KiB/M/MiB (default 64,1KiB,16KiB,256KiB,1MiB)
  --probes LIST           latency,throughput (default both)
  --topology LIST         same-pod,cross-pod (default both where the placement has a second pod)
  --runs N                independent process pairs per case
  --out DIR               where results.json, report.md, report.html, charts/ go (default results/<UTC timestamp>)
  --warmup-ms MS          warm-up per case and run
  --budget-ms MS          measured time per case and run
  --setup-timeout-ms MS   how long a side waits for its peer before the case fails (default 10000)
  --cpu-limit CORES       per-container CPU limit (CFS quota), e.g. 0.5 (sandbox, podman, kind, k8s)
  --pin CPUS              pin containers to CPUs, e.g. 0,1 (server on the first, client on the last) (sandbox)
  --memory BYTES          per-container memory limit, e.g. 256MiB (sandbox, podman, kind, k8s)
  --teardown              kind: delete the cluster afterwards
  --context NAME          k8s: the kubeconfig context to run in (kubectl config get-contexts lists them)
  --node-a NODE           k8s: the node for same-pod pods and the cross-pod server (default: the first schedulable node)
  --node-b NODE           k8s: the node for the cross-pod client (default: another schedulable node, so cross-pod is cross-node)`;

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 };

/** "64", "16k", "1MiB" -> bytes; undefined when not a size at all. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}

export function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((part) => {
    const bytes = parseBytes(part);
    if (bytes === undefined || !Number.isInteger(bytes) || bytes <= 0) {
      throw new UsageError(`--sizes: '${part.trim()}' is not a message size. Use positive whole bytes, optionally with k/KiB/M/MiB, e.g. --sizes 64,4096,1MiB`);
    }
    if (bytes < MIN_MESSAGE_BYTES) {
      throw new UsageError(`--sizes: ${bytes} B is below the ${MIN_MESSAGE_BYTES}-byte minimum (every message carries a 20-byte header with sequence number and checksum). Use ${MIN_MESSAGE_BYTES} or more.`);
    }
    return bytes;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export function parseMechanisms(text: string): Selection[] {
  const known = allSelections().map((s) => (s.variant ? `${s.mechanism}/${s.variant}` : s.mechanism));
  const out: Selection[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [id, variant] = raw.split('/', 2) as [string, string | undefined];
    const mech = mechanisms.find((m) => m.id === id);
    if (!mech) throw new UsageError(`--mechanisms: unknown mechanism '${id}'. Known: ${known.join(', ')}`);
    if (variant !== undefined) {
      if (!mech.variants?.includes(variant)) {
        const has = mech.variants?.length ? `its variants are ${mech.variants.join(', ')}` : 'it has no variants';
        throw new UsageError(`--mechanisms: '${raw}': ${id} has no variant '${variant}' (${has}).`);
      }
      out.push({ mechanism: id, variant });
    } else if (mech.variants?.length) {
      for (const v of mech.variants) out.push({ mechanism: id, variant: v });
    } else {
      out.push({ mechanism: id, variant: undefined });
    }
  }
  if (out.length === 0) throw new UsageError(`--mechanisms: empty list. Known: ${known.join(', ')}`);
  const seen = new Set<string>();
  return out.filter((s) => !seen.has(`${s.mechanism}/${s.variant}`) && seen.add(`${s.mechanism}/${s.variant}`));
}

function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new UsageError(`--${flag}: '${item}' is not one of ${allowed.join(', ')}.`);
  }
  if (items.length === 0) throw new UsageError(`--${flag}: empty list; use one or more of ${allowed.join(', ')}.`);
  return [...new Set(items)] as T[];
}

function positiveNumber(flag: string, text: string, integer: boolean, example: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: '${text}' is not a positive ${integer ? 'whole ' : ''}number, e.g. --${flag} ${example}`);
  }
  return n;
}

function parsePin(text: string, cpuCount: number): number[] {
  const cpus = text.split(',').map((s) => s.trim());
  return cpus.map((c) => {
    const n = Number(c);
    if (c === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--pin: '${c}' is not a CPU number; use a list like --pin 0,1`);
    if (n >= cpuCount) throw new UsageError(`--pin: CPU ${n} does not exist here (CPUs 0-${cpuCount - 1}); use a list like --pin 0,${Math.min(1, cpuCount - 1)}`);
    return n;
  });
}

/**
 * Parse `podipc run` arguments. Throws UsageError (exit 2) on anything wrong, before
 * anything is created. `--help` is returned as `undefined`.
 */
export function parseRunArgs(argv: readonly string[]): RunConfig | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify.*$/s, '');
    throw new UsageError(`${message}. Run 'podipc run --help' for the flags.`);
  }
  if (values.help) return undefined;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const quick = Boolean(values.quick);
  const profile = quick ? PROFILES.quick : PROFILES.full;

  const placementText = str('placement') ?? 'auto';
  const placements: PlacementId[] | 'auto' =
    placementText.trim() === 'auto' ? 'auto' : parseList('placement', placementText, PLACEMENTS);
  const memory = str('memory');
  let memoryBytes: number | undefined;
  if (memory !== undefined) {
    memoryBytes = parseBytes(memory);
    if (memoryBytes === undefined || !Number.isInteger(memoryBytes) || memoryBytes < 16 * 1024 * 1024) {
      throw new UsageError(`--memory: '${memory}' is not a memory limit of at least 16MiB; e.g. --memory 256MiB`);
    }
  }
  const cpuLimit = str('cpu-limit');
  const pin = str('pin');
  const cluster = parseClusterTarget(placements, str('context'), str('node-a'), str('node-b'));
  return {
    placements,
    selections: str('mechanisms') !== undefined ? parseMechanisms(str('mechanisms')!) : allSelections(),
    sizes: str('sizes') !== undefined ? parseSizes(str('sizes')!) : DEFAULT_SIZES,
    probes: str('probes') !== undefined ? parseList('probes', str('probes')!, PROBE_KINDS.filter((p) => p !== 'rate')) : ['latency', 'throughput'],
    topologies: str('topology') !== undefined ? parseList('topology', str('topology')!, TOPOLOGIES) : [...TOPOLOGIES],
    runtimes: str('runtime') !== undefined ? parseList('runtime', str('runtime')!, RUNTIMES) : [...RUNTIMES],
    runs: str('runs') !== undefined ? positiveNumber('runs', str('runs')!, true, '5') : profile.runs,
    quick,
    warmupMs: str('warmup-ms') !== undefined ? nonNegative('warmup-ms', str('warmup-ms')!) : profile.warmupMs,
    warmupRoundTrips: profile.warmupRoundTrips,
    measureMs: str('budget-ms') !== undefined ? positiveNumber('budget-ms', str('budget-ms')!, false, '500') : profile.measureMs,
    setupTimeoutMs: str('setup-timeout-ms') !== undefined ? positiveNumber('setup-timeout-ms', str('setup-timeout-ms')!, false, '10000') : 10_000,
    out: str('out'),
    cpuLimit: cpuLimit !== undefined ? positiveNumber('cpu-limit', cpuLimit, false, '0.5') : undefined,
    pin: pin !== undefined ? parsePin(pin, cpus().length) : undefined,
    memoryBytes,
    teardown: Boolean(values.teardown),
    cluster,
  };
}

/** A Kubernetes node name (DNS-1123 subdomain). */
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function parseClusterTarget(placements: PlacementId[] | 'auto', context: string | undefined, nodeA: string | undefined, nodeB: string | undefined): ClusterTarget | undefined {
  const wantsK8s = placements !== 'auto' && placements.includes('k8s');
  if (!wantsK8s) {
    const given = [context !== undefined && '--context', nodeA !== undefined && '--node-a', nodeB !== undefined && '--node-b'].filter(Boolean);
    if (given.length > 0) throw new UsageError(`${given.join(', ')}: only for --placement k8s (a cluster you already have), e.g. --placement k8s --context my-cluster`);
    return undefined;
  }
  if (context === undefined || context.trim() === '') {
    throw new UsageError('--placement k8s needs --context NAME: the kubeconfig context of the cluster to run in (`kubectl config get-contexts` lists them); podipc never uses your current context implicitly');
  }
  for (const [flag, node] of [['--node-a', nodeA], ['--node-b', nodeB]] as const) {
    if (node !== undefined && !NODE_NAME.test(node)) throw new UsageError(`${flag}: '${node}' is not a node name; \`kubectl --context ${context} get nodes\` lists them`);
  }
  return { context: context.trim(), nodeA, nodeB };
}

function nonNegative(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag}: '${text}' is not a number of milliseconds >= 0, e.g. --${flag} 100`);
  return n;
}

/** Everything that shaped the run, for results.json `config`. */
export function describeConfig(config: RunConfig): RunConfigRecord {
  return {
    quick: config.quick,
    placementsRequested: config.placements === 'auto' ? ['auto'] : config.placements,
    mechanisms: config.selections.map((s) => (s.variant ? `${s.mechanism}/${s.variant}` : s.mechanism)),
    sizesBytes: config.sizes,
    probes: config.probes,
    topologies: config.topologies,
    runtimes: config.runtimes,
    runs: config.runs,
    warmupMs: config.warmupMs,
    warmupRoundTrips: config.warmupRoundTrips,
    measureMs: config.measureMs,
    setupTimeoutMs: config.setupTimeoutMs,
    ...(config.cpuLimit !== undefined ? { cpuLimit: config.cpuLimit } : {}),
    ...(config.pin !== undefined ? { pin: config.pin } : {}),
    ...(config.memoryBytes !== undefined ? { memoryBytes: config.memoryBytes } : {}),
  };
}
