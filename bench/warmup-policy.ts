/**
 * How much the Node probe warms up before a case's measured phase, beyond the plan's
 * minimum (which stays a minimum, as the protocol says), and the V8 flags it runs with.
 * The entrypoint asks once per case; the probes (bench/probes/) do the warming.
 *
 * V8 compiles the probe's loop, and Node's socket and stream code under it, with its
 * optimising tier only after many executions, and that state belongs to the process, not to
 * a case. Each mechanism brings its own channel code for V8 to optimise (the probe loop
 * being warm from an earlier mechanism does not carry over: BENCHMARKS.md, "One pair per
 * run"), and each new message size brings branches the earlier sizes never took. So:
 * - a mechanism's first case in this process warms up a fixed number of round trips;
 * - a later case of it, a smaller fixed number (its new size's branches);
 * - then the latency probe settles (bench/probes/latency.ts `settle`): it goes on in
 *   doubling windows while the round trip keeps getting faster, up to a cap.
 * Counted in round trips because V8 optimises after executions, not after time; each count
 * has a time cap for the slow mechanisms (file hand-off: 100+ µs a round trip), where the
 * kernel dominates anyway.
 */
import type { ProbeKind } from '../core/vocabulary.js';
import type { ProbeSettings } from './probes/types.js';

type FixedWarmup = NonNullable<ProbeSettings['fixedWarmup']>;

/**
 * The throughput and rate probes' first case of a mechanism: about the round trips after
 * which a fresh pair's 64 B p50 settled (BENCHMARKS.md, "Warm-up").
 */
export const PROCESS_WARMUP: FixedWarmup = { roundTrips: 3000, capMs: 250 };

/**
 * The latency probe's first case of a mechanism. A fresh pair's WebSocket round trip still ran
 * at twice its warm p50 after 1000 round trips (bench:warmup), and 1000 round trips or 100 ms
 * left the quick profile's sockets 1.4-2.4x above the full profile's (BENCHMARKS.md, "Warm-up
 * in round trips").
 */
export const LATENCY_FIRST_CASE_WARMUP: FixedWarmup = { roundTrips: 2000, capMs: 200 };

/**
 * A later latency case of a mechanism brings a new message size, and with it branches the
 * first case never took (WebSocket's 16-bit length field from 126 B, the addon's CRC from
 * 256 B, copies by TypedArray#set above 256 B): V8 deoptimises the loop there and optimises
 * it again. It warms up this many round trips, or this many bytes of messages when fewer
 * (a 256 KiB case: 16 round trips; large messages spend their time copying, not in code
 * V8 has yet to optimise).
 */
export const NEW_SIZE_WARMUP = { roundTrips: 1000, bytes: 4 * 1024 * 1024, capMs: 100 };

/**
 * How long the latency probe may settle: the first case of a mechanism brings V8's first
 * optimisation of the mechanism's code, a later case only its new size and channel.
 */
export const SETTLE_CAP_MS = { firstCase: 500, laterCase: 150 };

export interface CaseWarmup {
  /** Before the plan's warm-up; undefined: none. */
  fixed: FixedWarmup | undefined;
  /** The latency probe's settling cap (0: no settling). */
  settleCapMs: number;
}

export type WarmupPolicy = (probe: ProbeKind, messageBytes: number, mechanismWarm: boolean) => CaseWarmup;

/**
 * The policy, with the benchmarks' overrides read (and checked) once:
 * - PODIPC_PLAN_WARMUP_ONLY=1: the plan's warm-up alone, no fixed warm-up and no settling
 *   (bench/reference/warmup-curve.ts measures the warm-up itself);
 * - PODIPC_SETTLE_CAP_MS: caps settling for every case (0: none; BENCHMARKS.md compares
 *   bench:quick-vs-full with and without).
 */
export function warmupPolicy(environment: NodeJS.ProcessEnv): WarmupPolicy {
  const planOnly = environment.PODIPC_PLAN_WARMUP_ONLY;
  if (planOnly !== undefined && planOnly !== '0' && planOnly !== '1') throw new Error(`PODIPC_PLAN_WARMUP_ONLY='${planOnly}': give 1 (the plan's warm-up alone) or 0, or unset it`);
  const settleOverride = settleCap(environment.PODIPC_SETTLE_CAP_MS);
  return (probe, messageBytes, warm) => {
    if (planOnly === '1') return { fixed: undefined, settleCapMs: 0 };
    const settleCapMs = settleOverride ?? (warm ? SETTLE_CAP_MS.laterCase : SETTLE_CAP_MS.firstCase);
    if (probe !== 'latency') return { fixed: warm ? undefined : PROCESS_WARMUP, settleCapMs };
    if (!warm) return { fixed: LATENCY_FIRST_CASE_WARMUP, settleCapMs };
    const roundTrips = Math.max(1, Math.min(NEW_SIZE_WARMUP.roundTrips, Math.floor(NEW_SIZE_WARMUP.bytes / messageBytes)));
    return { fixed: { roundTrips, capMs: NEW_SIZE_WARMUP.capMs }, settleCapMs };
  };
}

function settleCap(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Number(text);
  if (text.trim() === '' || !Number.isFinite(ms) || ms < 0) throw new Error(`PODIPC_SETTLE_CAP_MS='${text}': give a number of ms >= 0 (0: no settling), or unset it`);
  return ms;
}

/**
 * Which of `flags` (NODE_PROBE_V8_FLAGS_SETTABLE_LATER, core/node-probe.ts) the probe sets on itself: those
 * the command line does not already give (a benchmark comparing V8's defaults runs
 * `node --interrupt-budget=67584 ...`, and its value wins).
 */
export function v8FlagsToSet(flags: readonly string[], execArgv: readonly string[]): string[] {
  return flags.filter((flag) => {
    const name = flag.split('=')[0]!;
    return !execArgv.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}
