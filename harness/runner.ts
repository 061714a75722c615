/**
 * Runs the suite: choose a placement, build the matrix, run every group's pairs, and turn
 * the client's result lines into results.json cases. Runs are interleaved (run 0 of every
 * group, then run 1, ...) so slow drift on a shared host spreads over all mechanisms
 * instead of landing on whichever happened to run last.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, release } from 'node:os';
import { resolve } from 'node:path';
import type { ProbeLine } from '../bench/protocol.js';
import { describeConfig, type RunConfig } from './config.js';
import { buildMatrix, planCases, type Matrix } from './matrix.js';
import { choosePlacement } from './placements/index.js';
import type { PlacementSession } from './placements/placement.js';
import { SCHEMA_VERSION, mechanismLabel, type CaseResult, type ResultFile, type RunResult } from './results.js';
import { aggregateCase } from './stats.js';
import { formatBytes } from './report/format.js';

/** A prerequisite is missing (placement unavailable): exit 2 with the message. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

export interface Progress {
  /** Case runs finished so far (a case counts once per run). */
  casesDone: number;
  casesTotal: number;
  /** The case running now, e.g. "tcp latency 64 B same-pod, run 1/3". */
  label: string;
  /** True for the first case of a process pair (non-TTY output prints only these). */
  pairStart: boolean;
  elapsedMs: number;
  /** Estimated from the cases done so far; undefined before the first completes. */
  remainingMs: number | undefined;
}

export interface RunIo {
  log: (line: string) => void;
  progress?: (p: Progress) => void;
  signal: AbortSignal;
}

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');

export function toolInfo(): ResultFile['tool'] {
  const pkg = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  let gitCommit = process.env.PODIPC_GIT_COMMIT ?? 'unknown';
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dirty) gitCommit += '-dirty';
  } catch {
    /* not a git checkout (e.g. inside the probe image): keep the env value */
  }
  return { name: 'podipc', version: pkg.version, gitCommit };
}

function hostEnv(placement: ResultFile['env']['placement'], session: PlacementSession): ResultFile['env'] {
  return {
    kernel: release(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    nodeVersion: process.version,
    placement,
    hostname: hostname(),
    ...session.envFacts(),
  };
}

/**
 * A run from the client's line. When the pair itself went wrong (a side crashed or hung),
 * a failed line's reason gets the pair's story too - exit status and stderr tails - since
 * the client alone only saw its peer vanish.
 */
function runFromLine(run: number, line: ProbeLine, pairFailure: string | undefined): RunResult {
  const { status, latencyNs, samples, throughput, elapsedNs, cpu, integrity } = line;
  const reason = status === 'failed' && pairFailure ? `${line.reason ?? 'failed'}; ${pairFailure}` : line.reason;
  return { run, status, reason, latencyNs, samples, throughput, elapsedNs, cpu, integrity };
}

/** Fold the runs of each case into the results.json case. */
function collectCases(matrix: Matrix, runsByCase: Map<number, RunResult[]>, limitsByCase: Map<number, Record<string, number>>): CaseResult[] {
  return matrix.cases.map((c, id): CaseResult => {
    const base = { mechanism: c.mechanism, ...(c.variant ? { variant: c.variant } : {}), probe: c.probe, messageBytes: c.messageBytes, topology: c.topology };
    if (c.skip !== undefined) return { ...base, status: 'skipped', reason: c.skip, runs: [] };
    const runs = runsByCase.get(id) ?? [];
    const limits = limitsByCase.get(id);
    return { ...base, ...aggregateCase(runs), runs, ...(limits ? { limits } : {}) };
  });
}

export async function runSuite(config: RunConfig, io: RunIo): Promise<ResultFile> {
  const chosen = await choosePlacement(config.placement, io.log);
  if ('error' in chosen) throw new PrerequisiteError(chosen.error);
  const { placement } = chosen;
  const runTag = randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(0, 8);
  const startedAt = new Date().toISOString();
  const session = await placement.open({
    runTag,
    sysvSlot: randomInt(0, 0x10000),
    resources: { cpuLimit: config.cpuLimit, pin: config.pin, memoryBytes: config.memoryBytes },
    teardown: config.teardown,
    log: io.log,
  });
  try {
    const matrix = buildMatrix(config, session);
    const runsByCase = new Map<number, RunResult[]>();
    const limitsByCase = new Map<number, Record<string, number>>();
    const casesTotal = matrix.groups.reduce((n, g) => n + g.caseIds.length, 0) * config.runs;
    const t0 = Date.now();
    let casesDone = 0;
    for (let run = 0; run < config.runs; run++) {
      for (const group of matrix.groups) {
        if (io.signal.aborted) throw new Error('interrupted');
        const doneBefore = casesDone;
        const progress = (caseIndex: number, pairStart: boolean): void => {
          const c = matrix.cases[group.caseIds[caseIndex]!]!;
          const elapsedMs = Date.now() - t0;
          io.progress?.({
            casesDone,
            casesTotal,
            label: `${mechanismLabel(c)} ${c.probe} ${formatBytes(c.messageBytes)} ${c.topology}, run ${run + 1}/${config.runs}`,
            pairStart,
            elapsedMs,
            remainingMs: casesDone > 0 ? (elapsedMs / casesDone) * (casesTotal - casesDone) : undefined,
          });
        };
        progress(0, true);
        const cases = planCases(matrix, group);
        const outcome = await session.runPair(
          {
            mechanism: group.mechanism,
            variant: group.variant,
            topology: group.topology,
            run,
            cases,
            budget: { warmupMs: config.warmupMs, measureMs: config.measureMs, setupTimeoutMs: config.setupTimeoutMs },
          },
          io.signal,
          (line) => {
            casesDone = Math.min(doneBefore + group.caseIds.length, casesDone + 1);
            if (line.caseIndex + 1 < group.caseIds.length) progress(line.caseIndex + 1, false);
          },
        );
        // Cases the pair never reached (it failed) are done too, as failed runs.
        casesDone = doneBefore + group.caseIds.length;
        if (io.signal.aborted) throw new Error('interrupted');
        const byIndex = new Map(outcome.lines.map((l) => [l.caseIndex, l]));
        group.caseIds.forEach((id, caseIndex) => {
          const line = byIndex.get(caseIndex);
          const result: RunResult = line
            ? runFromLine(run, line, outcome.failure)
            : { run, status: 'failed', reason: outcome.failure ?? 'the client printed no result for this case' };
          if (line?.limits) limitsByCase.set(id, line.limits);
          runsByCase.set(id, [...(runsByCase.get(id) ?? []), result]);
        });
      }
    }
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: toolInfo(),
      env: hostEnv(placement.id, session),
      config: describeConfig(config),
      startedAt,
      finishedAt: new Date().toISOString(),
      cases: collectCases(matrix, runsByCase, limitsByCase),
    };
  } finally {
    await session.close();
  }
}
