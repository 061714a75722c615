/**
 * Runs the suite: choose the placements, open a session on each, build the matrix, run
 * every group's pairs, and turn the client's result lines into results.json cases. Runs
 * are interleaved (run 0 of every group on every placement, then run 1, ...) so slow drift
 * on a shared host spreads over all mechanisms and placements instead of landing on
 * whichever happened to run last. Ctrl-C stops the pair running: the cases measured so far
 * (those of that pair whose lines came before it too) are returned, marked `interrupted`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { availableParallelism, cpus, hostname, release } from 'node:os';
import { encodeHistogram, histogramFromPairs, summarizeHistogram } from '../core/histogram.js';
import type { ProbeLine } from '../core/protocol.js';
import { SCHEMA_VERSION, type CaseResult, type PlacementFacts, type ProbeOverhead, type ResultFile, type RunResult } from '../core/results.js';
import { aggregateCase } from '../core/stats.js';
import { mechanismLabel, type PlacementId } from '../core/vocabulary.js';
import { PrerequisiteError } from './availability.js';
import type { ResourceControl } from './capabilities.js';
import { describeConfig, type RunConfig } from './config.js';
import { buildMatrix, planCases, type Matrix, type PairGroup } from './matrix.js';
import { measureProbeOverhead } from './calibration.js';
import { choosePlacements } from './placements/index.js';
import type { PlacementSession } from './placements/placement.js';
import { formatBytes } from './report/format.js';
import { toolInfo } from './version.js';
import { NODE_PROBE_V8_FLAGS } from '../core/node-probe.js';

export { toolInfo };

/** A prerequisite is missing (placement unavailable): exit 2 with the message. */
export { PrerequisiteError };

export interface Progress {
  /** Case runs finished so far (a case counts once per run). */
  casesDone: number;
  casesTotal: number;
  /** The case running now, e.g. "tcp node latency 64 B same-pod on sandbox, run 1/3". */
  label: string;
  /** True for the first case of a process pair. */
  pairStart: boolean;
  /** True for the first case of a mechanism within its pair (non-TTY output prints only these). */
  mechanismStart: boolean;
  elapsedMs: number;
  /** Estimated from the cases done so far; undefined before the first completes. */
  remainingMs: number | undefined;
}

export interface RunIo {
  log: (line: string) => void;
  progress?: (p: Progress) => void;
  signal: AbortSignal;
}


function hostEnv(placements: Partial<Record<PlacementId, PlacementFacts>>, probeOverhead: ProbeOverhead[]): ResultFile['env'] {
  return {
    kernel: release(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    nodeVersion: process.version,
    nodeProbeV8Flags: [...NODE_PROBE_V8_FLAGS],
    hostname: hostname(),
    placements,
    ...(probeOverhead.length > 0 ? { probeOverhead } : {}),
  };
}

/**
 * A run from the client's line. Latency statistics come from the line's histogram, so
 * both runtimes' numbers are computed by the same code. When the pair itself went wrong (a
 * side crashed or hung), a failed line's reason gets the pair's story too - exit status
 * and stderr tails - since the client alone only saw its peer vanish.
 */
export function runFromLine(run: number, line: ProbeLine, pairFailure: string | undefined): RunResult {
  const { status, samples, throughput, elapsedNs, cpu, integrity, warmup } = line;
  const reason = status === 'failed' && pairFailure ? `${line.reason ?? 'failed'}; ${pairFailure}` : line.reason;
  let latencyNs = line.latencyNs;
  let latencyHistogram: string | undefined;
  if (line.latencyHistogram && line.latencyHistogram.pairs.length > 0) {
    const h = histogramFromPairs(line.latencyHistogram);
    latencyNs = summarizeHistogram(h);
    latencyHistogram = encodeHistogram(h);
  }
  // Rate lines: both histograms kept per run, their summaries recomputed here (as latency's).
  const rateHistogram = (pairs: ProbeLine['responseHistogram']): { summary: ReturnType<typeof summarizeHistogram>; encoded: string } | undefined => {
    if (!pairs || pairs.pairs.length === 0) return undefined;
    const h = histogramFromPairs(pairs);
    return { summary: summarizeHistogram(h), encoded: encodeHistogram(h) };
  };
  const response = rateHistogram(line.responseHistogram);
  const service = rateHistogram(line.serviceHistogram);
  const { achievedRatePerSec, pacingSpinUsPerMsg, selfLagP99Ns, clientBehind, steps, sustainableRatePerSec } = line;
  return {
    run,
    status,
    ...(reason !== undefined ? { reason } : {}),
    ...(achievedRatePerSec !== undefined ? { achievedRatePerSec } : {}),
    ...(pacingSpinUsPerMsg !== undefined ? { pacingSpinUsPerMsg } : {}),
    ...(response ? { responseNs: response.summary, responseHistogram: response.encoded } : {}),
    ...(service ? { serviceNs: service.summary, serviceHistogram: service.encoded } : {}),
    ...(selfLagP99Ns !== undefined ? { selfLagP99Ns } : {}),
    ...(clientBehind !== undefined ? { clientBehind } : {}),
    ...(steps ? { steps } : {}),
    ...(sustainableRatePerSec !== undefined ? { sustainableRatePerSec } : {}),
    ...(latencyNs ? { latencyNs } : {}),
    ...(samples !== undefined ? { samples } : {}),
    ...(latencyHistogram ? { latencyHistogram } : {}),
    ...(throughput ? { throughput } : {}),
    ...(elapsedNs !== undefined ? { elapsedNs } : {}),
    ...(cpu ? { cpu } : {}),
    ...(integrity ? { integrity } : {}),
    ...(warmup ? { warmup } : {}),
  };
}

/** Fold the runs of each case into the results.json case; cases never reached (interrupted) are left out. */
function collectCases(matrix: Matrix, runsByCase: Map<number, RunResult[]>, limitsByCase: Map<number, Record<string, number>>, interrupted: boolean): CaseResult[] {
  const out: CaseResult[] = [];
  matrix.cases.forEach((c, id) => {
    const base = {
      mechanism: c.mechanism,
      ...(c.variant ? { variant: c.variant } : {}),
      runtime: c.runtime,
      placement: c.placement,
      probe: c.probe,
      messageBytes: c.messageBytes,
      ...(c.ratePerSec !== undefined ? { ratePerSec: c.ratePerSec } : {}),
      ...(c.search ? { p99BudgetNs: c.search.p99BudgetNs } : {}),
      ...(c.burst !== undefined ? { burst: c.burst } : {}),
      topology: c.topology,
    };
    if (c.skip !== undefined) return void out.push({ ...base, status: 'skipped', reason: c.skip, runs: [] });
    const runs = runsByCase.get(id) ?? [];
    if (runs.length === 0 && interrupted) return;
    const limits = limitsByCase.get(id);
    out.push({ ...base, ...aggregateCase(runs), runs, ...(limits ? { limits } : {}) });
  });
  return out;
}

function requestedControls(config: RunConfig): Set<ResourceControl> {
  const asked = new Set<ResourceControl>();
  if (config.cpuLimit !== undefined) asked.add('cpuLimit');
  if (config.pin !== undefined) asked.add('pin');
  if (config.memoryBytes !== undefined) asked.add('memory');
  return asked;
}

/** The group's cases with its mechanisms' blocks rotated by `run` (each block keeps its order). */
export function rotateMechanisms(matrix: Matrix, ids: readonly number[], run: number): number[] {
  const blocks: number[][] = [];
  let key: string | undefined;
  for (const id of ids) {
    const k = mechanismLabel(matrix.cases[id]!);
    if (k !== key) blocks.push([]);
    key = k;
    blocks[blocks.length - 1]!.push(id);
  }
  const shift = blocks.length > 0 ? run % blocks.length : 0;
  return [...blocks.slice(shift), ...blocks.slice(0, shift)].flat();
}

export async function runSuite(config: RunConfig, io: RunIo): Promise<ResultFile> {
  const chosen = await choosePlacements(config.placements, requestedControls(config), io.log);
  if ('error' in chosen) throw new PrerequisiteError(chosen.error);
  const hosted = new Set(chosen.placements.flatMap((p) => p.capabilities.topologies));
  if (!config.topologies.some((t) => hosted.has(t))) {
    throw new PrerequisiteError(
      `--topology ${config.topologies.join(',')}: no chosen placement (${chosen.placements.map((p) => p.id).join(', ')}) hosts it; cross-pod needs a second pod: use --placement sandbox`,
    );
  }
  const runTag = randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(0, 8);
  const sysvSlot = randomInt(0, 0x10000);
  const startedAt = new Date().toISOString();
  const sessions = new Map<PlacementId, PlacementSession>();
  try {
    for (const placement of chosen.placements) {
      sessions.set(
        placement.id,
        await placement.open({
          runTag,
          // Each placement's SysV keys get their own slot, so two open sessions never collide.
          sysvSlot: (sysvSlot + sessions.size) & 0xffff,
          resources: { cpuLimit: config.cpuLimit, pin: config.pin, memoryBytes: config.memoryBytes },
          teardown: config.teardown,
          cluster: config.cluster,
          log: io.log,
        }),
      );
    }
    const matrix = buildMatrix(
      config,
      chosen.placements.map((p) => {
        const session = sessions.get(p.id)!;
        return { id: p.id, capabilities: p.capabilities, lacks: (t) => session.lacks(t), runtimeAvailability: (r) => session.runtimeAvailability(r) };
      }),
    );
    // The run's resolution, before the cases (and not during them: it needs the CPU to itself).
    const probeOverhead = config.probes.includes('latency') ? await measureProbeOverhead(config.runtimes, config.sizes, io.log) : [];
    const runsByCase = new Map<number, RunResult[]>();
    const limitsByCase = new Map<number, Record<string, number>>();
    const casesTotal = matrix.groups.reduce((n, g) => n + g.caseIds.length, 0) * config.runs;
    const t0 = Date.now();
    let casesDone = 0;
    const budget = { warmupMs: config.warmupMs, warmupRoundTrips: config.warmupRoundTrips, measureMs: config.measureMs, setupTimeoutMs: config.setupTimeoutMs };
    const record = (id: number, result: RunResult): void => void runsByCase.set(id, [...(runsByCase.get(id) ?? []), result]);
    /** One pair over `ids`; returns the cases to run again in a fresh pair (see runGroup). */
    const runPairOver = async (group: PairGroup, ids: readonly number[], run: number): Promise<number[]> => {
      const doneBefore = casesDone;
      const progress = (caseIndex: number, pairStart: boolean): void => {
        const c = matrix.cases[ids[caseIndex]!]!;
        const previous = caseIndex > 0 ? matrix.cases[ids[caseIndex - 1]!] : undefined;
        const elapsedMs = Date.now() - t0;
        io.progress?.({
          casesDone,
          casesTotal,
          label: `${mechanismLabel(c)} ${c.probe} ${formatBytes(c.messageBytes)} ${c.topology}${c.runtime === 'node' ? '' : ` ${c.runtime}`}${sessions.size > 1 ? ` on ${c.placement}` : ''}, run ${run + 1}/${config.runs}`,
          pairStart,
          mechanismStart: previous === undefined || mechanismLabel(previous) !== mechanismLabel(c),
          elapsedMs,
          remainingMs: casesDone > 0 ? (elapsedMs / casesDone) * (casesTotal - casesDone) : undefined,
        });
      };
      progress(0, true);
      const outcome = await sessions.get(group.placement)!.runPair(
        { runtime: group.runtime, topology: group.topology, run, cases: planCases(matrix, ids, budget), budget },
        io.signal,
        (line) => {
          casesDone = Math.min(doneBefore + ids.length, casesDone + 1);
          if (line.caseIndex + 1 < ids.length) progress(line.caseIndex + 1, false);
        },
      );
      casesDone = doneBefore + ids.length;
      const byIndex = new Map(outcome.lines.map((l) => [l.caseIndex, l]));
      if (io.signal.aborted) {
        // Interrupted: a case whose line came before the Ctrl-C is a whole measurement and is
        // kept; a failed line may be the interrupt itself (the peer killed first), so it goes
        // with the case in flight and the cases never reached.
        ids.forEach((id, i) => {
          const line = byIndex.get(i);
          if (line && line.status !== 'failed') record(id, runFromLine(run, line, undefined));
        });
        return [];
      }
      const firstMissing = ids.findIndex((_, i) => !byIndex.has(i));
      if (firstMissing < 0) {
        // Every case has its line; a pair failure (a side exited badly afterwards) goes onto the failed ones.
        ids.forEach((id, i) => {
          const line = byIndex.get(i)!;
          record(id, runFromLine(run, line, outcome.failure));
          if (line.limits) limitsByCase.set(id, line.limits);
        });
        return [];
      }
      // The pair broke. The mechanism it broke in: the last case that printed, if it failed
      // (the client saw its peer vanish), else the first case that never printed.
      const last = firstMissing > 0 ? byIndex.get(firstMissing - 1) : undefined;
      const culpritAt = last?.status === 'failed' ? firstMissing - 1 : firstMissing;
      const culprit = mechanismLabel(matrix.cases[ids[culpritAt]!]!);
      const retry: number[] = [];
      ids.forEach((id, i) => {
        const line = byIndex.get(i);
        const ofCulprit = mechanismLabel(matrix.cases[id]!) === culprit;
        if (line) {
          record(id, runFromLine(run, line, i === culpritAt ? outcome.failure : undefined));
          if (line.limits) limitsByCase.set(id, line.limits);
        } else if (ofCulprit) {
          // As with a pair of its own: a mechanism whose side crashed or hung fails the rest of its cases in this run.
          record(id, { run, status: 'failed', reason: outcome.failure ?? 'the client printed no result for this case' });
        } else {
          retry.push(id);
        }
      });
      // The fresh pair counts the retried cases when it runs them.
      casesDone -= retry.length;
      return retry;
    };
    /**
     * One run of a group. Mechanisms take turns leading the pair from run to run, so what
     * the order may do to a Node pair (the first mechanism warms the shared probe loop; later
     * ones meet code V8 has seen other channels in) is spread over the runs instead of biasing
     * one mechanism. A pair that breaks in one mechanism fails that mechanism's remaining
     * cases; the other mechanisms' cases it never reached run in a fresh pair.
     */
    const runGroup = async (group: PairGroup, run: number): Promise<void> => {
      let pending = rotateMechanisms(matrix, group.caseIds, run);
      while (pending.length > 0 && !io.signal.aborted) pending = await runPairOver(group, pending, run);
    };
    outer: for (let run = 0; run < config.runs; run++) {
      for (const group of matrix.groups) {
        if (io.signal.aborted) break outer;
        await runGroup(group, run);
      }
    }
    const interrupted = io.signal.aborted;
    const facts: Partial<Record<PlacementId, PlacementFacts>> = {};
    for (const [id, session] of sessions) facts[id] = session.facts();
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: toolInfo(),
      env: hostEnv(facts, probeOverhead),
      config: describeConfig(config),
      startedAt,
      finishedAt: new Date().toISOString(),
      ...(interrupted ? { interrupted: true } : {}),
      cases: collectCases(matrix, runsByCase, limitsByCase, interrupted),
    };
  } finally {
    for (const session of [...sessions.values()].reverse()) await session.close();
  }
}
