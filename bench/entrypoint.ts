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
import { setFlagsFromString } from 'node:v8';
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
import { NODE_PROBE_V8_FLAGS_SETTABLE_LATER } from '../core/node-probe.js';
import { v8FlagsToSet, warmupPolicy, type WarmupPolicy } from './warmup-policy.js';
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

/** Mechanisms (with variant) of which a case of this process has run its warm-up. */
const warmMechanisms = new Set<string>();

async function runClientCase(mech: Mechanism, plan: Plan, c: PlanCase, ch: Channel, warmup: WarmupPolicy): Promise<ProbeOutcome> {
  const { fixed, settleCapMs } = warmup(c.probe, c.messageBytes, warmMechanisms.has(mechanismLabel(c)));
  const settings: ProbeSettings = {
    messageBytes: c.messageBytes,
    warmupMs: plan.budget.warmupMs,
    warmupRoundTrips: c.warmupRoundTrips ?? plan.budget.warmupRoundTrips,
    ...(fixed ? { fixedWarmup: fixed } : {}),
    settleCapMs,
    measureMs: plan.budget.measureMs,
    silenceTimeoutMs: plan.budget.setupTimeoutMs,
    lossy: mech.lossy ?? false,
  };
  if (c.probe === 'rate') return rateClient(ch, settings, c);
  return c.probe === 'latency' ? latencyClient(ch, settings) : throughputClient(ch, settings);
}

async function runCase(mech: Mechanism, plan: Plan, c: PlanCase, warmup: WarmupPolicy): Promise<ProbeLine | undefined> {
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
    const outcome = await runClientCase(mech, plan, c, ch, warmup);
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
  // Before any case runs, so the probe's functions have the budget from their first call.
  // The others V8 reads only as it starts: every command that starts the probe gives them.
  for (const flag of v8FlagsToSet(NODE_PROBE_V8_FLAGS_SETTABLE_LATER, process.execArgv)) setFlagsFromString(flag);
  const warmup = warmupPolicy(env);
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
    const line = await runCase(mechs[i]!, plan, c, warmup);
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
