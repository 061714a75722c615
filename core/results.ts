/**
 * results.json: versioned, self-describing, validated on read. Readers reject unknown
 * schema versions naming the file and both versions (hyperfine's silent JSON change is the
 * cautionary tale); files of the previous version are upgraded on read, so a v1 base still
 * compares against a v2 head. Pure: parsing and shapes only (harness/results-file.ts reads
 * files).
 *
 * Version history:
 *   1  podipc 0.1: one placement per file (env.placement), Node probe only, loose env/config.
 *   2  runtime and placement on every case; env.placements with typed facts per placement;
 *      typed config; each run's latency distribution as an HdrHistogram; `interrupted`;
 *      env.probeOverhead (optional: the run's resolution per runtime); rate cases (optional
 *      fields: ratePerSec in the case key, response/service histograms per run, the search's
 *      steps and sustainable rate; later `burst` on rate cases and config.rateBurst, both
 *      optional and only for --burst above 1) - added before schema 2 was released, so no
 *      version bump.
 */
import { z } from 'zod';
import { cpuSchema, formatZodError, integritySchema, latencyNsSchema, probeLineSchema, rateSearchSchema, rateStepSchema, throughputSchema } from './protocol.js';
import {
  caseStatusSchema,
  mechanismLabel,
  PLACEMENTS,
  placementSchema,
  probeKindSchema,
  runtimeSchema,
  topologySchema,
  type PlacementId,
  type RuntimeId,
} from './vocabulary.js';

export const SCHEMA_VERSION = 2;
const READABLE_VERSIONS = [1, 2] as const;

/** One run: what the client's result line measured, plus which process pair it was. */
export const runSchema = probeLineSchema
  .pick({ status: true, reason: true, latencyNs: true, samples: true, throughput: true, elapsedNs: true, cpu: true, integrity: true, warmup: true })
  .extend({
    /** Index of the independent process pair, from 0. */
    run: z.number().int().nonnegative(),
    /** This run's round trips, HdrHistogram compressed V2 encoding in base64 (core/histogram.ts). */
    latencyHistogram: z.string().min(1).optional(),
    // Rate cases: what the client's line measured, histograms encoded like latencyHistogram.
    achievedRatePerSec: z.number().nonnegative().optional(),
    pacingSpinUsPerMsg: z.number().nonnegative().optional(),
    responseNs: latencyNsSchema.optional(),
    responseHistogram: z.string().min(1).optional(),
    serviceNs: latencyNsSchema.optional(),
    serviceHistogram: z.string().min(1).optional(),
    selfLagP99Ns: z.number().nonnegative().optional(),
    clientBehind: z.boolean().optional(),
    steps: z.array(rateStepSchema).optional(),
    sustainableRatePerSec: z.number().nonnegative().optional(),
  });

export const caseSchema = z.object({
  mechanism: z.string().min(1),
  variant: z.string().min(1).optional(),
  runtime: runtimeSchema,
  placement: placementSchema,
  probe: probeKindSchema,
  messageBytes: z.number().int().positive(),
  /** Rate cases at a fixed rate: the target (messages per second); part of the case key. */
  ratePerSec: z.number().positive().optional(),
  burst: z.number().int().positive().optional(),
  /** Rate search cases: the p99 response-time budget the search held to; part of the case key. */
  p99BudgetNs: z.number().positive().optional(),
  topology: topologySchema,
  status: caseStatusSchema,
  reason: z.string().optional(),
  runs: z.array(runSchema),
  /**
   * From the merged histogram of the ok runs when they carry histograms (schema 2);
   * schema 1 files: each percentile the median of the runs' values, max the largest.
   */
  latencyNs: latencyNsSchema.optional(),
  /** Round trips behind latencyNs (all ok runs together): how far into the tail it can be trusted. */
  samples: z.number().int().nonnegative().optional(),
  /** Median over the ok runs. */
  throughput: throughputSchema.optional(),
  /** Median over the ok runs, per side. */
  cpu: cpuSchema.optional(),
  /** Sums over all runs. */
  integrity: integritySchema.optional(),
  limits: z.record(z.number()).optional(),
  // ----- rate cases (core/stats.ts aggregateCase) -----
  /** Median over the ok runs. */
  achievedRatePerSec: z.number().nonnegative().optional(),
  /** From the merged response-time (intended send -> answer) histograms of the ok runs. */
  responseNs: latencyNsSchema.optional(),
  /** From the merged service-time (actual send -> answer) histograms of the ok runs. */
  serviceNs: latencyNsSchema.optional(),
  /** Messages behind responseNs and serviceNs. */
  rateSamples: z.number().int().nonnegative().optional(),
  /** The largest of the ok runs' self-lag p99s. */
  selfLagP99Ns: z.number().nonnegative().optional(),
  /** True when any ok run's client fell behind its schedule: the numbers say more about the client than the mechanism. */
  clientBehind: z.boolean().optional(),
  /** Search cases: the median of the runs' sustainable rates (0: not even the start rate held). */
  sustainableRatePerSec: z.number().nonnegative().optional(),
});

/** Resource controls as the placement applied them (never "asked for but ignored": see capabilities). */
export const appliedResourcesSchema = z.object({
  cpuLimitCores: z.number().positive().optional(),
  /** CPUs the containers were pinned to: server on the first, client on the last. */
  pin: z.array(z.number().int().nonnegative()).optional(),
  memoryBytes: z.number().int().positive().optional(),
  /** How they were applied, e.g. "cgroup v1 per container". */
  appliedWith: z.string().optional(),
});

export const boundarySchema = z.object({
  passed: z.boolean(),
  sameIpcNamespace: z.boolean(),
  sharedDevShm: z.boolean(),
  sharedVolumes: z.boolean(),
  hostIsolated: z.boolean(),
  secondPodIsolated: z.boolean(),
  checkedAt: z.string(),
  method: z.string(),
});

/**
 * What one placement recorded about itself. Fields that code reads (compare's warnings,
 * reports) are typed; `details` is shown to people and never read by code.
 */
export const placementFactsSchema = z.object({
  /** In words: what separates the two containers. */
  isolation: z.string(),
  resources: appliedResourcesSchema,
  boundary: boundarySchema.optional(),
  k8sVersion: z.string().optional(),
  /** Placement-specific facts for the environment table (pods, cluster, image). */
  details: z.record(z.unknown()).optional(),
});

/**
 * The probe's own cost per round trip - the run's resolution - measured before the cases
 * over an in-process channel (no kernel: frame, stamp, checksum, verify, copy, clock), one
 * entry per runtime that measured itself (bench/calibrate.ts for Node). A latency whose
 * p50 is within NEAR_RESOLUTION_FACTOR of it is mostly the probe (see nearResolution).
 */
export const probeOverheadSchema = z.object({
  runtime: runtimeSchema,
  /** How it was measured, in words (channel, checksum implementation, budget). */
  method: z.string().min(1),
  perSize: z
    .array(
      z.object({
        messageBytes: z.number().int().positive(),
        /** p50 of the in-process round trips. */
        roundTripNs: z.number().nonnegative(),
        samples: z.number().int().positive(),
      }),
    )
    .min(1),
});

export const envSchema = z.object({
  kernel: z.string(),
  cpuModel: z.string(),
  cores: z.number().int().positive(),
  nodeVersion: z.string(),
  /** The V8 flags the Node probe set on itself (core/node-probe.ts); absent in files from before it set any. */
  nodeProbeV8Flags: z.array(z.string()).optional(),
  hostname: z.string().optional(),
  /** Every placement of the run, in the order asked for. */
  placements: z.record(placementSchema, placementFactsSchema).refine((p) => Object.keys(p).length > 0, 'at least one placement'),
  /** The run's resolution per runtime (absent in files from before it was measured). */
  probeOverhead: z.array(probeOverheadSchema).optional(),
});

/** Every knob that shaped the run. */
export const configSchema = z.object({
  quick: z.boolean(),
  placementsRequested: z.array(z.union([placementSchema, z.literal('auto')])),
  mechanisms: z.array(z.string()),
  sizesBytes: z.array(z.number().int().positive()),
  probes: z.array(probeKindSchema),
  topologies: z.array(topologySchema),
  runtimes: z.array(runtimeSchema),
  runs: z.number().int().positive(),
  warmupMs: z.number().nonnegative(),
  warmupRoundTrips: z.number().int().nonnegative(),
  measureMs: z.number().positive(),
  setupTimeoutMs: z.number().positive(),
  cpuLimit: z.number().positive().optional(),
  pin: z.array(z.number().int().nonnegative()).optional(),
  memoryBytes: z.number().int().positive().optional(),
  /** The rate probe's fixed target rates and its search, when it ran. */
  ratesPerSec: z.array(z.number().positive()).optional(),
  rateSearch: rateSearchSchema.optional(),
  /** The rate probe's --burst when above 1: every rate case sent bursts of this many messages. */
  rateBurst: z.number().int().positive().optional(),
});

export const resultFileSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal('podipc'), version: z.string(), gitCommit: z.string() }),
  env: envSchema,
  config: configSchema,
  startedAt: z.string().datetime(),
  finishedAt: z.string().datetime(),
  /** Set when Ctrl-C stopped the run: `cases` holds what finished, the rest are missing. */
  interrupted: z.boolean().optional(),
  cases: z.array(caseSchema),
});

export type ResultFile = z.infer<typeof resultFileSchema>;
export type CaseResult = z.infer<typeof caseSchema>;
export type RunResult = z.infer<typeof runSchema>;
export type Env = z.infer<typeof envSchema>;
export type RunConfigRecord = z.infer<typeof configSchema>;
export type PlacementFacts = z.infer<typeof placementFactsSchema>;
export type AppliedResources = z.infer<typeof appliedResourcesSchema>;
export type ProbeOverhead = z.infer<typeof probeOverheadSchema>;

/** A latency p50 within this factor of the probe's own cost is reported as near the resolution. */
export const NEAR_RESOLUTION_FACTOR = 3;

/** The recorded probe overhead (p50 ns per round trip) for a runtime at a message size, if measured. */
export function probeOverheadNs(env: Pick<Env, 'probeOverhead'>, runtime: RuntimeId, messageBytes: number): number | undefined {
  const entry = env.probeOverhead?.find((o) => o.runtime === runtime);
  return entry?.perSize.find((p) => p.messageBytes === messageBytes)?.roundTripNs;
}

/**
 * Is this latency case near the run's resolution - its p50 within NEAR_RESOLUTION_FACTOR of
 * what the probe itself costs per round trip at that size, so that most of the number is
 * the probe and not the mechanism? Undefined when it cannot be told (no latency, or no
 * overhead recorded for the case's runtime and size); reports mark `true` cases.
 */
export function nearResolution(c: Pick<CaseResult, 'probe' | 'runtime' | 'messageBytes' | 'latencyNs'>, env: Pick<Env, 'probeOverhead'>): boolean | undefined {
  if (c.probe !== 'latency' || c.latencyNs === undefined) return undefined;
  const overheadNs = probeOverheadNs(env, c.runtime, c.messageBytes);
  if (overheadNs === undefined) return undefined;
  return c.latencyNs.p50 <= NEAR_RESOLUTION_FACTOR * overheadNs;
}

type CaseIdentity = Pick<CaseResult, 'mechanism' | 'variant' | 'runtime' | 'placement' | 'probe' | 'messageBytes' | 'topology'> &
  Partial<Pick<CaseResult, 'ratePerSec' | 'burst' | 'p99BudgetNs'>>;

/** A rate case's part of the key: "@10000/s" (", burst 8"), or "search p99<=100us"; empty for other probes. */
export function rateKeyPart(c: Partial<Pick<CaseResult, 'ratePerSec' | 'burst' | 'p99BudgetNs'>>): string {
  if (c.ratePerSec !== undefined) return ` ${c.ratePerSec}/s${c.burst !== undefined && c.burst > 1 ? ` burst${c.burst}` : ''}`;
  if (c.p99BudgetNs !== undefined) return ` search-p99<=${c.p99BudgetNs / 1000}us${c.burst !== undefined && c.burst > 1 ? ` burst${c.burst}` : ''}`;
  return '';
}

/**
 * The key that identifies a case within a file: "tcp latency 64B same-pod @sandbox", with
 * " native" after the topology for the native runtime (the Node runtime is the one every
 * schema 1 file measured, so its keys read as they always did).
 */
export function caseKey(c: CaseIdentity): string {
  return `${caseKeyWithoutPlacement(c)} @${c.placement}`;
}

/** The key without the placement: how compare matches two files that each ran one placement. */
export function caseKeyWithoutPlacement(c: Omit<CaseIdentity, 'placement'>): string {
  return `${mechanismLabel(c)} ${c.probe} ${c.messageBytes}B${rateKeyPart(c)} ${c.topology}${c.runtime === 'node' ? '' : ` ${c.runtime}`}`;
}

/** The placements of a file, in the order they ran. */
export function placementsOf(results: Pick<ResultFile, 'env'>): PlacementId[] {
  return Object.keys(results.env.placements) as PlacementId[];
}

export class ResultFileError extends Error {
  override name = 'ResultFileError';
}

// ---------------------------------------------------------------------------------------
// Schema 1 -> 2
// ---------------------------------------------------------------------------------------

const v1RunSchema = runSchema.omit({ latencyHistogram: true });
const v1FileSchema = z.object({
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal('podipc'), version: z.string(), gitCommit: z.string() }),
  env: z
    .object({
      kernel: z.string(),
      cpuModel: z.string(),
      cores: z.number().int().positive(),
      nodeVersion: z.string(),
      placement: z.enum(['process', 'sandbox', 'kind']),
      hostname: z.string().optional(),
      k8sVersion: z.string().optional(),
    })
    .passthrough(),
  config: z.record(z.unknown()),
  startedAt: z.string().datetime(),
  finishedAt: z.string().datetime(),
  cases: z.array(
    caseSchema.omit({ runtime: true, placement: true, runs: true, samples: true }).extend({ probe: z.enum(['latency', 'throughput']), runs: z.array(v1RunSchema) }),
  ),
});

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const nums = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A schema 1 file as schema 2: every case ran the Node probe on the file's one placement. */
function upgradeV1(v1: z.infer<typeof v1FileSchema>): ResultFile {
  const { kernel, cpuModel, cores, nodeVersion, placement, hostname, k8sVersion, ...facts } = v1.env;
  const c = v1.config;
  const resources = (facts.resources ?? {}) as Record<string, unknown>;
  const boundary = boundarySchema.safeParse(facts.boundary);
  const profileQuick = c.quick === true;
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: v1.tool,
    env: {
      kernel,
      cpuModel,
      cores,
      nodeVersion,
      ...(hostname !== undefined ? { hostname } : {}),
      placements: {
        [placement]: {
          isolation: typeof facts.isolation === 'string' ? facts.isolation : `${placement} (recorded by a schema 1 file)`,
          resources: {
            ...(num(resources.cpuLimitCores) !== undefined ? { cpuLimitCores: num(resources.cpuLimitCores) } : {}),
            // Schema 1 kept the pin list in config; a placement that ignored it said so.
            ...((nums(resources.pin) ?? (facts.resourcesIgnored === undefined ? nums(c.pin) : undefined)) !== undefined
              ? { pin: nums(resources.pin) ?? nums(c.pin) }
              : {}),
            ...(num(resources.memoryBytes) !== undefined ? { memoryBytes: num(resources.memoryBytes) } : {}),
          },
          ...(boundary.success ? { boundary: boundary.data } : {}),
          ...(k8sVersion !== undefined ? { k8sVersion } : {}),
          details: facts,
        },
      },
    },
    config: {
      quick: profileQuick,
      placementsRequested: [typeof c.placementRequested === 'string' && (PLACEMENTS as readonly string[]).includes(c.placementRequested) ? (c.placementRequested as PlacementId) : placement],
      mechanisms: strs(c.mechanisms),
      sizesBytes: nums(c.sizesBytes) ?? [...new Set(v1.cases.map((x) => x.messageBytes))],
      probes: strs(c.probes).filter((p): p is 'latency' | 'throughput' => p === 'latency' || p === 'throughput'),
      topologies: strs(c.topologies).filter((t): t is 'same-pod' | 'cross-pod' => t === 'same-pod' || t === 'cross-pod'),
      runtimes: ['node'],
      runs: num(c.runs) ?? 1,
      warmupMs: num(c.warmupMs) ?? 0,
      warmupRoundTrips: 0,
      measureMs: num(c.measureMs) ?? 1,
      setupTimeoutMs: num(c.setupTimeoutMs) ?? 10_000,
      ...(num(c.cpuLimit) !== undefined ? { cpuLimit: num(c.cpuLimit) } : {}),
      ...(nums(c.pin) !== undefined ? { pin: nums(c.pin) } : {}),
      ...(num(c.memoryBytes) !== undefined ? { memoryBytes: num(c.memoryBytes) } : {}),
    },
    startedAt: v1.startedAt,
    finishedAt: v1.finishedAt,
    cases: v1.cases.map((x) => ({ ...x, runtime: 'node' as const, placement })),
  };
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/** The first case key that appears twice, or undefined. */
function firstDuplicate(cases: readonly CaseResult[]): string | undefined {
  const seen = new Set<string>();
  for (const c of cases) {
    const key = caseKey(c);
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/** Validate a parsed results object (upgrading schema 1); `source` names the file in errors. */
export function parseResultFile(input: unknown, source: string): ResultFile {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ResultFileError(`${source} is not a podipc results file (expected a JSON object).`);
  }
  const version = (input as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new ResultFileError(`${source} has no schemaVersion: it is not a podipc results file (podipc writes DIR/results.json).`);
  }
  if (!(READABLE_VERSIONS as readonly unknown[]).includes(version)) {
    throw new ResultFileError(
      `${source} has schemaVersion ${JSON.stringify(version)}, but this podipc reads schemaVersion ${READABLE_VERSIONS.join(' and ')}. ` +
        `Re-run the benchmark with this version, or use the podipc version that wrote the file.`,
    );
  }
  let file: ResultFile;
  if (version === 1) {
    const parsed = v1FileSchema.safeParse(input);
    if (!parsed.success) throw new ResultFileError(`${source} is not a valid podipc results file (schema 1): ${formatZodError(parsed.error)}`);
    file = upgradeV1(parsed.data);
  } else {
    const parsed = resultFileSchema.safeParse(input);
    if (!parsed.success) throw new ResultFileError(`${source} is not a valid podipc results file: ${formatZodError(parsed.error)}`);
    file = parsed.data;
  }
  const dup = firstDuplicate(file.cases);
  if (dup !== undefined) {
    throw new ResultFileError(`${source} lists the case '${dup}' twice: each mechanism, variant, runtime, probe, size, rate, topology and placement appears once. Re-run, or fix the file by hand.`);
  }
  return file;
}
