/**
 * One pair in a cluster (kind's own, or any context): apply, wait, logs, delete - the plan
 * of commands.ts - and the outcome read from what the pods left (outcome.ts). Shared by the
 * kind and k8s placements, which differ only in how the cluster and the image got there.
 */
import type { RenderedPair } from '../../k8s/render.js';
import type { PairOutcome } from '../placement.js';
import { pairPlan } from './commands.js';
import { runSteps } from './exec.js';
import { pairOutcome } from './outcome.js';

function parse(text: string | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export async function runClusterPair(pair: RenderedPair, runTag: string, context: string, signal: AbortSignal): Promise<{ outcome: PairOutcome; interrupted: boolean }> {
  const result = await runSteps(pairPlan(pair, runTag, context), { signal });
  const clientPod = parse(result.captures['client-pod']);
  const outcome = pairOutcome({
    clientLog: result.captures['client-log'],
    serverLog: result.captures['server-log'],
    clientPod,
    serverPod: pair.clientObjects.length === 0 ? clientPod : parse(result.captures['server-pod']),
    stepFailure: result.failure,
    interrupted: result.interrupted,
  });
  return { outcome, interrupted: result.interrupted };
}
