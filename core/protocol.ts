/**
 * The probe protocol: the only contract between the harness (host side) and the probe
 * (container side). The harness hands each side a plan; the client prints one result
 * line per case. Both directions are validated where they are read.
 */
import { z } from 'zod';
import { MIN_MESSAGE_BYTES } from './frame-format.js';
import { caseStatusSchema, probeKindSchema, roleSchema, topologySchema } from './vocabulary.js';

/**
 * 2: frame version 2 (CRC-32C), `budget.warmupRoundTrips`, and `latencyHistogram` on result
 * lines. 3: the mechanism (and variant) moved from the plan into each case, so one process
 * pair can run several mechanisms in turn. Both sides of a pair and the harness must agree; a
 * mismatch fails the plan's parse.
 */
export const PROTOCOL_VERSION = 3;
/** Every result line starts with this marker, so it can be picked out of container logs. */
export const RESULT_LINE_PREFIX = 'PODIPC_RESULT ';

/** The rate probe's search for the sustainable rate (core/rate.ts nextSearchRate), run by the client in one pair. */
export const rateSearchSchema = z.object({
  /** A step holds when its p99 response time is at most this, nothing is lost and the client kept its schedule. */
  p99BudgetNs: z.number().positive(),
  startRatePerSec: z.number().positive(),
  maxRatePerSec: z.number().positive(),
});

/**
 * Test-only (no CLI flag): the server stops answering for `pauseMs` every `everyMs` of the
 * measured phase, busy-waiting so the stall is exact. It demonstrates what the rate probe's
 * coordinated-omission correction shows and service time hides.
 */
export const stallSchema = z.object({
  everyMs: z.number().positive(),
  pauseMs: z.number().positive(),
});

export const planCaseSchema = z
  .object({
    /** Unique within the plan: the rendezvous and the IPC names of the case derive from it. */
    caseIndex: z.number().int().nonnegative(),
    mechanism: z.string().min(1),
    variant: z.string().min(1).optional(),
    probe: probeKindSchema,
    messageBytes: z.number().int().min(MIN_MESSAGE_BYTES),
    /** This case's warm-up round trips (messages), in place of budget.warmupRoundTrips. */
    warmupRoundTrips: z.number().int().nonnegative().optional(),
    /** Rate probe: the target arrival rate (messages per second) of a fixed-rate case. */
    ratePerSec: z.number().positive().optional(),
    /** Rate probe: messages sent together at each intended time (default 1). */
    burst: z.number().int().positive().optional(),
    /** Rate probe: search for the sustainable rate instead of one fixed rate. */
    search: rateSearchSchema.optional(),
    stall: stallSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const isRate = c.probe === 'rate';
    if (isRate && (c.ratePerSec === undefined) === (c.search === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ratePerSec'], message: "a 'rate' case needs exactly one of ratePerSec and search" });
    }
    if (!isRate && (c.ratePerSec !== undefined || c.search !== undefined || c.burst !== undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['probe'], message: `ratePerSec, burst and search belong to 'rate' cases, not '${c.probe}'` });
    }
  });

/** A run's tag: it names the run's IPC objects, directories, pods and cgroups. */
export const RUN_TAG_PATTERN = /^[a-z0-9]{4,12}$/;

export const planSchema = z.object({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  role: roleSchema,
  topology: topologySchema,
  /** Which independent run (process pair) of the case this is, from 0. */
  run: z.number().int().nonnegative(),
  cases: z
    .array(planCaseSchema)
    .min(1)
    .refine((cases) => new Set(cases.map((c) => c.caseIndex)).size === cases.length, { message: 'every case needs its own caseIndex' }),
  budget: z.object({
    /** Warm-up lasts until both this many ms and `warmupRoundTrips` round trips (or messages) have passed. */
    warmupMs: z.number().nonnegative(),
    warmupRoundTrips: z.number().int().nonnegative(),
    measureMs: z.number().positive(),
    setupTimeoutMs: z.number().positive(),
  }),
  dirs: z.object({
    /** Rendezvous files and the IPC ledger; in a pod, a directory on the shared emptyDir. */
    shared: z.string().min(1),
    disk: z.string().min(1),
    tmpfs: z.string().min(1).optional(),
  }),
  net: z.object({
    listenHost: z.string().min(1),
    connectHost: z.string().min(1),
    port: z.number().int().min(0).max(65535),
  }),
  ipc: z.object({
    runTag: z.string().regex(RUN_TAG_PATTERN),
    sysvSlot: z.number().int().min(0).max(0xffff),
  }),
});

export type Plan = z.infer<typeof planSchema>;
export type PlanCase = z.infer<typeof planCaseSchema>;

/** Validate a plan from JSON text; the error names the field and what was wrong. */
export function parsePlan(input: unknown): Plan {
  const parsed = planSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid probe plan: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

export const latencyNsSchema = z.object({
  p50: z.number().nonnegative(),
  p90: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  p999: z.number().nonnegative(),
  max: z.number().nonnegative(),
  mean: z.number().nonnegative(),
  stddev: z.number().nonnegative(),
});

export const throughputSchema = z.object({
  msgsPerSec: z.number().nonnegative(),
  bytesPerSec: z.number().nonnegative(),
});

export const cpuSchema = z.object({
  clientUsPerMsg: z.number().nonnegative(),
  serverUsPerMsg: z.number().nonnegative(),
});

export const integritySchema = z.object({
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  corrupt: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  /**
   * Sleeps (either side) that ended by their timer although what they waited for had
   * arrived: wake-ups that did not come. Only mechanisms that sleep on a wake-up count them
   * (shm-sysv and shm-posix with futex or sem); any above 0 is an integrity failure.
   */
  lostWakeups: z.number().int().nonnegative().optional(),
});

/**
 * A run's round trips as HdrHistogram buckets (lowest discernible 1 ns, 3 significant
 * digits): [lowest equivalent value in ns, count] pairs, ascending. Both runtimes emit this
 * form (the native probe cannot link hdr-histogram-js); core/histogram.ts rebuilds the
 * histogram from it, and every latency statistic comes from there.
 */
export const latencyHistogramSchema = z.object({
  sigDigits: z.literal(3),
  pairs: z.array(z.tuple([z.number().int().positive(), z.number().int().positive()])),
});

/** One step of a rate search: what the client measured at that rate (summaries only). */
export const rateStepSchema = z.object({
  ratePerSec: z.number().positive(),
  achievedRatePerSec: z.number().nonnegative(),
  responseNs: latencyNsSchema,
  serviceNs: latencyNsSchema,
  samples: z.number().int().nonnegative(),
  selfLagP99Ns: z.number().nonnegative(),
  clientBehind: z.boolean(),
  lost: z.number().int().nonnegative(),
  corrupt: z.number().int().nonnegative(),
  /** Client CPU (user + system) per message sent in the step. */
  clientUsPerMsg: z.number().nonnegative().optional(),
  /** Whether the step sustained its rate under the budget (core/rate.ts sustains). */
  ok: z.boolean(),
});

/** The warm-up a run actually had (the Node latency probe settles until warm: bench/probes/latency.ts). */
export const warmupSchema = z.object({
  roundTrips: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
});
export type Warmup = z.infer<typeof warmupSchema>;

export const probeLineSchema = z.object({
  protocolVersion: z.literal(PROTOCOL_VERSION),
  caseIndex: z.number().int().nonnegative(),
  mechanism: z.string().min(1),
  variant: z.string().min(1).optional(),
  probe: probeKindSchema,
  messageBytes: z.number().int().positive(),
  status: caseStatusSchema,
  reason: z.string().optional(),
  /** Round-trip latency over the measured samples of this run. */
  latencyNs: latencyNsSchema.optional(),
  samples: z.number().int().nonnegative().optional(),
  latencyHistogram: latencyHistogramSchema.optional(),
  throughput: throughputSchema.optional(),
  /** Wall time of the measured phase. */
  elapsedNs: z.number().nonnegative().optional(),
  cpu: cpuSchema.optional(),
  integrity: integritySchema.optional(),
  warmup: warmupSchema.optional(),
  /** Kernel limits the mechanism found and obeyed (e.g. fs.mqueue.msgsize_max). */
  limits: z.record(z.number()).optional(),
  // ----- rate probe (bench/probes/rate.ts; core/rate.ts) -----
  /** The target arrival rate of a fixed-rate case (echoed from the plan). */
  ratePerSec: z.number().positive().optional(),
  burst: z.number().int().positive().optional(),
  /**
   * The client's pacing spin per message (the last ~150 µs before each intended send, spun
   * for accuracy): the generator's cost, already taken out of cpu.clientUsPerMsg.
   */
  pacingSpinUsPerMsg: z.number().nonnegative().optional(),
  /** Messages completed per second over the measured schedule. */
  achievedRatePerSec: z.number().nonnegative().optional(),
  /** Answer time - INTENDED send time (coordinated-omission corrected). */
  responseNs: latencyNsSchema.optional(),
  responseHistogram: latencyHistogramSchema.optional(),
  /** Answer time - actual send time (what a closed loop would report). */
  serviceNs: latencyNsSchema.optional(),
  serviceHistogram: latencyHistogramSchema.optional(),
  /** p99 of the client's own lateness: actual send - max(intended, previous answer). */
  selfLagP99Ns: z.number().nonnegative().optional(),
  /** The client itself could not keep the schedule (core/rate.ts clientBehind): not a result about the mechanism. */
  clientBehind: z.boolean().optional(),
  /** Search cases: the budget searched under, every step in order, and the highest rate that held (0: none). */
  p99BudgetNs: z.number().positive().optional(),
  steps: z.array(rateStepSchema).optional(),
  sustainableRatePerSec: z.number().nonnegative().optional(),
});

export type ProbeLine = z.infer<typeof probeLineSchema>;
export type LatencyNs = z.infer<typeof latencyNsSchema>;
export type Throughput = z.infer<typeof throughputSchema>;
export type Cpu = z.infer<typeof cpuSchema>;
export type Integrity = z.infer<typeof integritySchema>;
export type LatencyHistogramPairs = z.infer<typeof latencyHistogramSchema>;
export type RateStep = z.infer<typeof rateStepSchema>;
export type RateSearch = z.infer<typeof rateSearchSchema>;
export type Stall = z.infer<typeof stallSchema>;

export function formatProbeLine(line: ProbeLine): string {
  return RESULT_LINE_PREFIX + JSON.stringify(line);
}

/** Validate one parsed result object (the JSON after the prefix). */
export function parseProbeLine(input: unknown): ProbeLine {
  const parsed = probeLineSchema.safeParse(input);
  if (!parsed.success) throw new Error(`invalid probe result line: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * Pick the result lines out of a probe's output (a pipe or container logs), ignoring any
 * other text. A marked line that does not validate is an error: the probe and the harness
 * disagree on the protocol, which no benchmark number should paper over.
 */
export function extractProbeLines(output: string): ProbeLine[] {
  const lines: ProbeLine[] = [];
  for (const raw of output.split('\n')) {
    const at = raw.indexOf(RESULT_LINE_PREFIX);
    if (at < 0) continue;
    const json = raw.slice(at + RESULT_LINE_PREFIX.length).trim();
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw new Error(`probe result line is not JSON: ${json.slice(0, 120)}`);
    }
    lines.push(parseProbeLine(value));
  }
  return lines;
}

export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
