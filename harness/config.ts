/**
 * `podipc run`: its flags (one definition: harness/commands/run.ts shows them as --help,
 * parseRunArgs parses them) and the validated RunConfig they give. Every rule lives here,
 * once; each error names the flag, shows the value and says what to do (exit 2).
 */
import { cpus } from 'node:os';
import { MIN_MESSAGE_BYTES } from '../core/frame-format.js';
import type { RunConfigRecord } from '../core/results.js';
import { PLACEMENTS, PROBE_KINDS, RUNTIMES, TOPOLOGIES, type PlacementId, type ProbeKind, type RuntimeId, type Topology } from '../core/vocabulary.js';
import { bytesList, choiceList, count, cpuList, durationMs, mechanismList, memoryBytes, positiveNumber } from './flag-values.js';
import { parseFlags, switchFlag, UsageError, valueFlag, type FlagValues } from './flags.js';
import { allSelections, type Selection } from './selection.js';
import { parseRatePerSec } from '../core/rate.js';
import type { RateSearch } from '../core/protocol.js';

export interface RunConfig {
  /** In the order asked for; `auto` alone picks the best available (see placements/index.ts). */
  placements: PlacementId[] | 'auto';
  selections: Selection[];
  sizes: number[];
  probes: ProbeKind[];
  /** The rate probe's cases (when `probes` includes rate): fixed target rates and/or the search. */
  rate: { ratesPerSec: number[]; search?: RateSearch; burst?: number } | undefined;
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
 * Budgets per case and run, and what each profile measures. Quick is the smoke suite and
 * the PR comparison: under a minute on 2 cores, yet able to conclude on a large change.
 *
 * Who sets what: the warm-up and measured budgets (warmupMs, warmupRoundTrips, measureMs)
 * belong to the probe's calibration; `runs` and `sizes` belong to what the results must
 * support.
 *
 * Warm-up is counted in round trips (messages) and in time: a case warms up until both have
 * passed. On top of it the Node probe warms its process for each mechanism's first case
 * (bench/entrypoint.ts), and its latency probe then settles every case until the round trip
 * stops getting faster (capped; bench/probes/latency.ts settle): that is what V8 needs to
 * optimise the loop and the mechanism's own path (measured, BENCHMARKS.md "The small-frame
 * path"), so the per-case minimum only settles what a new message size changes - buffers and
 * caches, capped at 4 MiB of messages (harness/matrix.ts caseWarmupRoundTrips) - which is why
 * it can be small, and why quick and full measure the same warm loop.
 *
 * Quick keeps 5 runs because compare's exact Mann-Whitney U test needs 4 runs per side to
 * reach p < 0.05 at all and 5 to tolerate one out-of-order run (core/stats.ts
 * minRunsForSignificance); to pay for them it measures the two ends of the report's size
 * bands (64 B and 256 KiB; the medium band is the full profile's) for 15 ms (the report's smoke
 * banner says so). Much of its time is the Node probe's warm-up (BENCHMARKS.md "One pair per
 * run" and "The small-frame path"); one pair per runtime and run on
 * process and sandbox keeps start-ups out of it. Full: 3 runs of 400 ms after 50 ms of
 * warm-up per case, which keeps the default suite under 10 minutes on 2 cores.
 */
export const PROFILES = {
  full: { runs: 3, warmupMs: 50, warmupRoundTrips: 1000, measureMs: 400, sizes: DEFAULT_SIZES },
  quick: { runs: 5, warmupMs: 3, warmupRoundTrips: 100, measureMs: 15, sizes: [64, 256 * 1024] },
} as const;

/** The probes a run measures unless told otherwise; `rate` joins them with --rates or --rate-search. */
export const DEFAULT_PROBES: readonly ProbeKind[] = ['latency', 'throughput'];
/**
 * The rate probe's default ladder: a quiet sidecar, a busy one, one near what a kernel
 * round trip allows; quick measures one rate (the smoke suite must stay under a minute).
 */
export const DEFAULT_RATES = { full: [1000, 10_000, 50_000], quick: [10_000] } as const;
/** The largest --burst: a burst is sent back to back with one request outstanding, so a million is already minutes of backlog. */
export const MAX_BURST = 1_000_000;

function burstSize(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_BURST) {
    throw new UsageError(`--${flag}: '${text.trim()}' is not a burst size; give a whole number of messages from 1 to ${MAX_BURST} that share one intended send time (1: evenly spaced), e.g. --${flag} 8`);
  }
  return n;
}

/** The sustainable-rate search climbs x2 from here (core/rate.ts nextSearchRate) up to its maximum. */
export const RATE_SEARCH_RANGE = { startRatePerSec: 1000, maxRatePerSec: { full: 2_000_000, quick: 200_000 } } as const;

function rateList(flag: string, text: string): number[] {
  const rates = text.split(',').map((t) => {
    const r = parseRatePerSec(t);
    if (r === undefined) throw new UsageError(`--${flag}: '${t.trim()}' is not a rate; give messages per second, e.g. --${flag} 1k,10k,100k`);
    return r;
  });
  return [...new Set(rates)].sort((a, b) => a - b);
}
const sizesText = (sizes: readonly number[]): string => sizes.map((b) => (b >= 1 << 20 ? `${b >> 20}MiB` : b >= 1024 ? `${b >> 10}KiB` : String(b))).join(',');
const both = (full: string | number, quick: string | number): string => `${full}; --quick: ${quick}`;

/** The flags of `podipc run`. */
export const RUN_FLAGS = {
  quick: switchFlag(`smoke suite: ${PROFILES.quick.runs} runs of ${PROFILES.quick.measureMs} ms per case at ${sizesText(PROFILES.quick.sizes)} (too small to decide on; the report says so)`),
  placement: valueFlag({
    metavar: 'LIST',
    help: `auto, or one or more of ${PLACEMENTS.join(', ')}`,
    default: 'auto' as PlacementId[] | 'auto',
    defaultText: 'auto: sandbox as root on Linux, else process',
    parse: (t, f): PlacementId[] | 'auto' => (t.trim() === 'auto' ? 'auto' : choiceList(f, t, PLACEMENTS)),
  }),
  runtime: valueFlag({ metavar: 'LIST', help: `${RUNTIMES.join(',')}: which probe runs in the containers (native cases are skipped, with the reason, where the native probe is not built)`, default: [...RUNTIMES] as RuntimeId[], defaultText: RUNTIMES.join(','), parse: (t, f) => choiceList(f, t, RUNTIMES) }),
  mechanisms: valueFlag({ metavar: 'LIST', help: 'e.g. tcp,uds,shm-posix/futex (a mechanism without /variant means all its variants)', default: allSelections(), defaultText: 'all', parse: (t, f) => mechanismList(f, t) }),
  sizes: valueFlag({ metavar: 'LIST', help: `message sizes in bytes, suffixes k/KiB/M/MiB/G/GiB, at least ${MIN_MESSAGE_BYTES} (the frame header and its payload stamp)`, defaultText: both(sizesText(DEFAULT_SIZES), sizesText(PROFILES.quick.sizes)), parse: (t, f) => bytesList(f, t, { min: MIN_MESSAGE_BYTES, minWhy: 'every message carries a 20-byte header with sequence number and checksum, and a payload stamp', example: '64,4096,1MiB' }) }),
  probes: valueFlag({ metavar: 'LIST', help: `${PROBE_KINDS.join(',')} (rate: open loop at fixed arrival rates, see --rates)`, defaultText: `${DEFAULT_PROBES.join(',')}, plus rate with --rates or --rate-search`, parse: (t, f) => choiceList(f, t, PROBE_KINDS) as ProbeKind[] }),
  rates: valueFlag({ metavar: 'LIST', help: 'rate probe: target arrival rates in messages per second, e.g. 1k,10k,100k', defaultText: both(DEFAULT_RATES.full.join(','), DEFAULT_RATES.quick.join(',')), parse: (t, f) => rateList(f, t) }),
  'rate-search': switchFlag('rate probe: also search for the sustainable rate (the highest with p99 response within --p99-budget-us, nothing lost)'),
  burst: valueFlag({ metavar: 'N', help: 'rate probe: send in bursts of N messages that share one intended send time, the bursts spaced so the average is still the target rate (1: evenly spaced)', defaultText: '1', parse: (t, f) => burstSize(f, t) }),
  'p99-budget-us': valueFlag({ metavar: 'US', help: 'the rate search\'s p99 response-time budget, in µs', default: 100, parse: (t, f) => positiveNumber(f, t, { unit: 'µs', example: '100' }) }),
  topology: valueFlag({ metavar: 'LIST', help: `${TOPOLOGIES.join(',')}: cross-pod needs a placement with a second pod`, default: [...TOPOLOGIES] as Topology[], defaultText: 'both where the placement has a second pod', parse: (t, f) => choiceList(f, t, TOPOLOGIES) }),
  runs: valueFlag({ metavar: 'N', help: 'independent process pairs per case (compare needs 4 per side, 5 to tolerate one odd run)', defaultText: both(PROFILES.full.runs, PROFILES.quick.runs), parse: (t, f) => count(f, t, '5') }),
  out: valueFlag({ metavar: 'DIR', help: 'where results.json, report.md, report.html, report.csv and charts/ go', defaultText: 'results/<UTC timestamp>', parse: (t) => t }),
  'warmup-ms': valueFlag({ metavar: 'MS', help: 'warm-up per case and run, in ms (or 2s); it also lasts at least the profile\'s round trips', defaultText: both(PROFILES.full.warmupMs, PROFILES.quick.warmupMs), parse: (t, f) => durationMs(f, t, { allowZero: true, example: '100' }) }),
  'budget-ms': valueFlag({ metavar: 'MS', help: 'measured time per case and run, in ms (or 2s)', defaultText: both(PROFILES.full.measureMs, PROFILES.quick.measureMs), parse: (t, f) => durationMs(f, t, { example: '500' }) }),
  'setup-timeout-ms': valueFlag({ metavar: 'MS', help: 'how long a side waits for its peer before the case fails', default: 10_000, parse: (t, f) => durationMs(f, t, { example: '10000' }) }),
  'cpu-limit': valueFlag({ metavar: 'CORES', help: 'per-container CPU limit (CFS quota), e.g. 0.5 (placements that can apply it: sandbox, podman, kind, k8s)', parse: (t, f) => positiveNumber(f, t, { unit: 'cores', example: '0.5' }) }),
  pin: valueFlag({ metavar: 'CPUS', help: 'pin containers to CPUs, e.g. 0,1: server on the first, client on the last (sandbox; other placements refuse it)', parse: (t, f) => cpuList(f, t, cpus().length) }),
  memory: valueFlag({ metavar: 'BYTES', help: 'per-container memory limit, e.g. 256MiB (sandbox, podman, kind, k8s)', parse: (t, f) => memoryBytes(f, t) }),
  teardown: switchFlag('kind: delete the cluster afterwards'),
  context: valueFlag({ metavar: 'NAME', help: 'k8s: the kubeconfig context to run in (kubectl config get-contexts lists them)', parse: (t) => t }),
  'node-a': valueFlag({ metavar: 'NODE', help: 'k8s: the node for same-pod pods and the cross-pod server (default: the first schedulable node)', parse: (t, f) => nodeName(f, t) }),
  'node-b': valueFlag({ metavar: 'NODE', help: 'k8s: the node for the cross-pod client (default: another schedulable node, so cross-pod is cross-node)', parse: (t, f) => nodeName(f, t) }),
} as const;

/** A Kubernetes node name (DNS-1123 subdomain). */
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function nodeName(flag: string, text: string): string {
  if (!NODE_NAME.test(text)) throw new UsageError(`--${flag}: '${text}' is not a node name; \`kubectl --context CONTEXT get nodes\` lists them`);
  return text;
}

function clusterTarget(placements: PlacementId[] | 'auto', flags: RunFlags): ClusterTarget | undefined {
  const { context, 'node-a': nodeA, 'node-b': nodeB } = flags;
  if (placements === 'auto' || !placements.includes('k8s')) {
    const given = [context !== undefined && '--context', nodeA !== undefined && '--node-a', nodeB !== undefined && '--node-b'].filter(Boolean);
    if (given.length > 0) throw new UsageError(`${given.join(', ')}: only for --placement k8s (a cluster you already have), e.g. --placement k8s --context my-cluster`);
    return undefined;
  }
  if (context === undefined || context.trim() === '') {
    throw new UsageError('--placement k8s needs --context NAME: the kubeconfig context of the cluster to run in (`kubectl config get-contexts` lists them); podipc never uses your current context implicitly');
  }
  return { context: context.trim(), nodeA, nodeB };
}

export type RunFlags = FlagValues<typeof RUN_FLAGS>;

/** Parsed flags -> the RunConfig, with the profile's defaults where a flag was not given. */
export function runConfigFrom(flags: RunFlags): RunConfig {
  const profile = flags.quick ? PROFILES.quick : PROFILES.full;
  const rateAsked = flags.rates !== undefined || flags['rate-search'];
  const probes = flags.probes ?? (rateAsked ? [...DEFAULT_PROBES, 'rate' as const] : [...DEFAULT_PROBES]);
  if (rateAsked && !probes.includes('rate')) {
    throw new UsageError(`${flags.rates !== undefined ? '--rates' : '--rate-search'} is for the rate probe, but --probes ${probes.join(',')} leaves it out: add rate, e.g. --probes ${[...probes, 'rate'].join(',')}`);
  }
  if (flags.burst !== undefined && !probes.includes('rate')) {
    throw new UsageError(`--burst is for the rate probe, but --probes ${probes.join(',')} leaves it out: add --rates (or --probes ${[...probes, 'rate'].join(',')}), e.g. --rates 10k --burst ${flags.burst}`);
  }
  return {
    placements: flags.placement,
    selections: flags.mechanisms,
    sizes: flags.sizes ?? [...profile.sizes],
    probes,
    rate: probes.includes('rate')
      ? {
          ratesPerSec: flags.rates ?? (flags['rate-search'] ? [] : [...(flags.quick ? DEFAULT_RATES.quick : DEFAULT_RATES.full)]),
          ...(flags['rate-search']
            ? { search: { p99BudgetNs: flags['p99-budget-us'] * 1000, startRatePerSec: RATE_SEARCH_RANGE.startRatePerSec, maxRatePerSec: flags.quick ? RATE_SEARCH_RANGE.maxRatePerSec.quick : RATE_SEARCH_RANGE.maxRatePerSec.full } }
            : {}),
          // Burst 1 is the even schedule: not carried, so its cases keep the keys of a run without --burst.
          ...(flags.burst !== undefined && flags.burst > 1 ? { burst: flags.burst } : {}),
        }
      : undefined,
    topologies: flags.topology,
    runtimes: flags.runtime,
    runs: flags.runs ?? profile.runs,
    quick: flags.quick,
    warmupMs: flags['warmup-ms'] ?? profile.warmupMs,
    warmupRoundTrips: profile.warmupRoundTrips,
    measureMs: flags['budget-ms'] ?? profile.measureMs,
    setupTimeoutMs: flags['setup-timeout-ms'],
    out: flags.out,
    cpuLimit: flags['cpu-limit'],
    pin: flags.pin,
    memoryBytes: flags.memory,
    teardown: flags.teardown,
    cluster: clusterTarget(flags.placement, flags),
  };
}

/**
 * Parse `podipc run` arguments (tests and tools call this; the CLI goes through the run
 * command, which uses the same flags). Throws UsageError on anything wrong, before
 * anything is created. `--help` or `--version` give `undefined`.
 */
export function parseRunArgs(argv: readonly string[]): RunConfig | undefined {
  const parsed = parseFlags(RUN_FLAGS, argv, 'run');
  if (parsed.help || parsed.version) return undefined;
  if (parsed.positionals.length) throw new UsageError(`'run' takes no arguments, got '${parsed.positionals.join(' ')}'; flags start with -- ('podipc run --help')`);
  return runConfigFrom(parsed.flags);
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
    ...(config.rate && config.rate.ratesPerSec.length > 0 ? { ratesPerSec: config.rate.ratesPerSec } : {}),
    ...(config.rate?.search ? { rateSearch: config.rate.search } : {}),
    ...(config.rate?.burst !== undefined ? { rateBurst: config.rate.burst } : {}),
  };
}
