#!/usr/bin/env node
/**
 * The probe: one per container. Reads its plan (`--plan FILE`, or the JSON in the
 * PODIPC_PLAN environment variable, which is how a Kubernetes pod receives it), opens each
 * case's channel in its role, runs the probe, and - on the client - prints one result line
 * per case to stdout. Diagnostics go to stderr; the harness keeps the tail of it.
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
import { serve } from './probes/session.js';
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
    variant: plan.variant,
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

async function runClientCase(mech: Mechanism, plan: Plan, c: PlanCase, ch: Channel): Promise<ProbeOutcome> {
  const settings: ProbeSettings = {
    messageBytes: c.messageBytes,
    warmupMs: plan.budget.warmupMs,
    warmupRoundTrips: plan.budget.warmupRoundTrips,
    measureMs: plan.budget.measureMs,
    silenceTimeoutMs: plan.budget.setupTimeoutMs,
    lossy: mech.lossy ?? false,
  };
  return c.probe === 'latency' ? latencyClient(ch, settings) : throughputClient(ch, settings);
}

async function runCase(mech: Mechanism, plan: Plan, c: PlanCase): Promise<ProbeLine | undefined> {
  const base = {
    protocolVersion: PROTOCOL_VERSION,
    caseIndex: c.caseIndex,
    mechanism: mech.id,
    ...(plan.variant ? { variant: plan.variant } : {}),
    probe: c.probe,
    messageBytes: c.messageBytes,
  } as const;
  const ctx = contextFor(plan, c);
  const support = mech.supports(c.probe, c.messageBytes, plan.variant);
  if (!support.ok) return plan.role === 'client' ? { ...base, status: 'skipped', reason: support.reason } : undefined;

  let ch: Channel | undefined;
  try {
    ch = await mech.open(ctx);
    open.add(ch);
    if (plan.role === 'server') {
      await serve(ch, c.probe === 'latency' ? 'echo' : 'sink', mech.lossy ?? false, plan.budget.setupTimeoutMs);
      return undefined;
    }
    const outcome = await runClientCase(mech, plan, c, ch);
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

async function main(): Promise<void> {
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const plan = readPlan();
  const mech = findMechanism(plan.mechanism);
  if (!mech) throw new Error(`unknown mechanism '${plan.mechanism}' in the plan`);
  for (const c of plan.cases) {
    const line = await runCase(mech, plan, c);
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
