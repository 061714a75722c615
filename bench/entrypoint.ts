#!/usr/bin/env node
/**
 * The probe: one per container. Reads its plan (`--plan FILE`, or the JSON in the
 * PODIPC_PLAN environment variable, which is how a Kubernetes pod receives it), opens each
 * case's channel in its role, runs the probe, and - on the client - prints one result line
 * per case to stdout. Diagnostics go to stderr; the harness keeps the tail of it.
 *
 * `--calibrate SIZES` (comma-separated bytes) instead measures the probe's own cost per
 * round trip at each size (bench/calibrate.ts) and prints one `PODIPC_CALIBRATION {json}`
 * line: the run's resolution, which the harness records before the cases.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { argv, env, exit, stderr, stdout } from 'node:process';
import { IpcNames } from './ipc-names.js';
import { CaseSkipped } from './case-skipped.js';
import { type Channel, type Mechanism, type OpenContext } from './mechanism.js';
import { formatProbeLine, parsePlan, PROTOCOL_VERSION, type Plan, type PlanCase, type ProbeLine } from '../core/protocol.js';
import { findMechanism } from './registry.js';
import { dirRendezvous } from './rendezvous.js';
import { latencyClient } from './probes/latency.js';
import { throughputClient } from './probes/throughput.js';
import { rateClient } from './probes/rate.js';
import { serve } from './probes/session.js';
import { CALIBRATION_LINE_PREFIX, calibrateProbe } from './calibrate.js';
import { MIN_MESSAGE_BYTES } from '../core/frame-format.js';
import { mechanismLabel } from '../core/vocabulary.js';
import type { ProbeOutcome, ProbeSettings } from './probes/types.js';

function readPlan(): Plan {
  const at = argv.indexOf('--plan');
  const text = at >= 0 && argv[at + 1] ? readFileSync(argv[at + 1]!, 'utf8') : env.PODIPC_PLAN;
  if (!text) throw new Error('no plan: pass --plan FILE or set PODIPC_PLAN to the plan JSON (the harness does this)');
  return parsePlan(JSON.parse(text));
}

/** Channels open right now, closed on SIGTERM/SIGINT so IPC objects and files go with us. */
const open = new Set<Channel>();

async function shutdown(signal: string): Promise<never> {
  stderr.write(`probe: ${signal}, closing ${open.size} channel(s)\n`);
  await Promise.allSettled([...open].map((ch) => ch.close()));
  exit(128 + (signal === 'SIGINT' ? 2 : 15));
}

function contextFor(plan: Plan, c: PlanCase): OpenContext {
  return {
    role: plan.role,
    variant: c.variant,
    probe: c.probe,
    messageBytes: c.messageBytes,
    caseIndex: c.caseIndex,
    volumes: { disk: plan.dirs.disk, tmpfs: plan.dirs.tmpfs },
    net: plan.net,
    ipc: new IpcNames(plan.ipc.runTag, plan.ipc.sysvSlot, c.caseIndex, join(plan.dirs.shared, 'ipc-ledger.jsonl')),
    rendezvous: dirRendezvous(plan.dirs.shared, c.caseIndex),
    setupTimeoutMs: plan.budget.setupTimeoutMs,
  };
}

/**
 * V8 compiles the probe's loop (and Node's socket and stream code under it) with its
 * optimising tier only after thousands of iterations, and that state belongs to the process,
 * not to a case: measured (BENCHMARKS.md, "Warm-up"), a fresh pair's 64 B p50 settles after
 * about this many round trips. So the first case of each mechanism this process runs warms up
 * for at least this many (or 250 ms), before the plan's warm-up - per mechanism, because each
 * brings its own channel code for V8 to optimise; later cases of the mechanism reuse the
 * optimised code and need only the plan's warm-up (their sizes' own branches, buffers and
 * caches). The plan's budget stays a minimum, as the protocol says. Benchmarks that measure
 * the warm-up itself set PODIPC_PROCESS_WARMUP_ROUND_TRIPS=0 (bench/reference/warmup-curve.ts).
 */
const PROCESS_WARMUP = {
  roundTrips: Number(env.PODIPC_PROCESS_WARMUP_ROUND_TRIPS ?? 3000),
  /** Slow mechanisms (file hand-off: 100+ µs a round trip) stop here: the kernel dominates them anyway. */
  capMs: 250,
};
/**
 * The latency probe's first case warms a fixed third of that, then settles (below): it goes
 * on for as long as the round trip keeps getting faster, which the fixed count only guessed.
 */
const LATENCY_PROCESS_WARMUP = { roundTrips: Math.round(PROCESS_WARMUP.roundTrips / 3), capMs: 100 };
/**
 * How long the latency probe may go on warming up until its round trip stops getting faster
 * (bench/probes/latency.ts settle): the first case of a mechanism in this process brings
 * V8's first optimisation of the mechanism's code, a later case only its new channel.
 */
const SETTLE_CAP_MS = { firstCase: 500, laterCase: 150 };
/** PODIPC_SETTLE_CAP_MS caps both (0: no settling): benchmarks compare with and without. */
const SETTLE_CAP_OVERRIDE = settleCapOverride(env.PODIPC_SETTLE_CAP_MS);

function settleCapOverride(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Number(text);
  if (text.trim() === '' || !Number.isFinite(ms) || ms < 0) throw new Error(`PODIPC_SETTLE_CAP_MS='${text}': give a number of ms >= 0 (0: no settling), or unset it`);
  return ms;
}
/** Mechanisms (with variant) of which a case of this process has run its warm-up. */
const warmMechanisms = new Set<string>();

async function runClientCase(mech: Mechanism, plan: Plan, c: PlanCase, ch: Channel): Promise<ProbeOutcome> {
  const warm = warmMechanisms.has(mechanismLabel(c));
  // PODIPC_PROCESS_WARMUP_ROUND_TRIPS=0 measures the plan's warm-up alone: no settling either.
  const planWarmupOnly = PROCESS_WARMUP.roundTrips === 0;
  const settings: ProbeSettings = {
    messageBytes: c.messageBytes,
    warmupMs: plan.budget.warmupMs,
    warmupRoundTrips: c.warmupRoundTrips ?? plan.budget.warmupRoundTrips,
    ...(warm || planWarmupOnly ? {} : { processWarmup: c.probe === 'latency' ? LATENCY_PROCESS_WARMUP : PROCESS_WARMUP }),
    settleCapMs: planWarmupOnly ? 0 : (SETTLE_CAP_OVERRIDE ?? (warm ? SETTLE_CAP_MS.laterCase : SETTLE_CAP_MS.firstCase)),
    measureMs: plan.budget.measureMs,
    silenceTimeoutMs: plan.budget.setupTimeoutMs,
    lossy: mech.lossy ?? false,
  };
  if (c.probe === 'rate') return rateClient(ch, settings, c);
  return c.probe === 'latency' ? latencyClient(ch, settings) : throughputClient(ch, settings);
}

async function runCase(mech: Mechanism, plan: Plan, c: PlanCase): Promise<ProbeLine | undefined> {
  const base = {
    protocolVersion: PROTOCOL_VERSION,
    caseIndex: c.caseIndex,
    mechanism: mech.id,
    ...(c.variant ? { variant: c.variant } : {}),
    probe: c.probe,
    messageBytes: c.messageBytes,
    // A rate case's identity (its key in results.json) is on every line, skipped and failed too.
    ...(c.ratePerSec !== undefined ? { ratePerSec: c.ratePerSec } : {}),
    ...(c.burst !== undefined ? { burst: c.burst } : {}),
    ...(c.search ? { p99BudgetNs: c.search.p99BudgetNs } : {}),
  } as const;
  const ctx = contextFor(plan, c);
  const support = mech.supports(c.probe, c.messageBytes, c.variant);
  if (!support.ok) return plan.role === 'client' ? { ...base, status: 'skipped', reason: support.reason } : undefined;

  let ch: Channel | undefined;
  try {
    ch = await mech.open(ctx);
    open.add(ch);
    if (plan.role === 'server') {
      await serve(ch, c.probe === 'throughput' ? 'sink' : 'echo', mech.lossy ?? false, plan.budget.setupTimeoutMs, c.stall);
      return undefined;
    }
    const outcome = await runClientCase(mech, plan, c, ch);
    warmMechanisms.add(mechanismLabel(c));
    // After End/Summary: the server's count is final (it counted before it answered).
    const lostWakeups = ch.lostWakeups?.();
    if (lostWakeups !== undefined) outcome.integrity = { ...outcome.integrity, lostWakeups };
    const limits = ch.limits;
    return { ...base, status: 'ok', ...outcome, ...(limits ? { limits } : {}) };
  } catch (err) {
    const error = err as Error;
    if (plan.role === 'server') {
      stderr.write(`probe server: case ${c.caseIndex} (${c.probe} ${c.messageBytes} B): ${error.stack ?? error.message}\n`);
      // Tell a client still waiting at the rendezvous, so it reports this reason at once.
      const key = error instanceof CaseSkipped ? 'skip' : 'error';
      await ctx.rendezvous.publish({ [key]: error.message }).catch(() => {});
      return undefined;
    }
    if (error instanceof CaseSkipped) return { ...base, status: 'skipped', reason: error.message };
    stderr.write(`probe client: case ${c.caseIndex}: ${error.stack ?? error.message}\n`);
    return { ...base, status: 'failed', reason: error.message };
  } finally {
    if (ch) {
      await ch.close().catch((err: Error) => stderr.write(`probe ${plan.role}: close failed: ${err.message}\n`));
      open.delete(ch);
    }
  }
}

/** `--calibrate 64,1024,...`: the sizes, validated. */
function calibrationSizes(): number[] | undefined {
  const at = argv.indexOf('--calibrate');
  if (at < 0) return undefined;
  const sizes = (argv[at + 1] ?? '').split(',').map(Number);
  if (sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && n >= MIN_MESSAGE_BYTES)) {
    throw new Error(`--calibrate needs comma-separated message sizes in bytes, each at least ${MIN_MESSAGE_BYTES}, e.g. --calibrate 64,1024`);
  }
  return sizes;
}

async function main(): Promise<void> {
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const sizes = calibrationSizes();
  if (sizes) {
    stdout.write(CALIBRATION_LINE_PREFIX + JSON.stringify(await calibrateProbe(sizes)) + '\n');
    return;
  }
  const plan = readPlan();
  // Every mechanism looked up before the first case runs: a plan this probe cannot finish is refused whole.
  const mechs = plan.cases.map((c) => {
    const mech = findMechanism(c.mechanism);
    if (!mech) throw new Error(`unknown mechanism '${c.mechanism}' in the plan (case ${c.caseIndex})`);
    return mech;
  });
  for (const [i, c] of plan.cases.entries()) {
    const line = await runCase(mechs[i]!, plan, c);
    if (line) stdout.write(formatProbeLine(line) + '\n');
  }
}

main().then(
  () => exit(0),
  (err: Error) => {
    stderr.write(`probe: ${err.message}\n`);
    exit(2);
  },
);
