/**
 * Run one real server/client pair where each side is either runtime: the Node entrypoint or
 * the native probe (build/Release/podipc_probe). Uses the harness's own pair runner
 * (runPairProcesses, sidePlans), so deadlines, kills and stderr tails are the ones a run
 * gets. The pair's shared directory lives in a fresh temp dir; afterwards the helper
 * reports which ledgered IPC objects were still there *before* sweeping them (a leak check)
 * and removes the directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LedgerEntry } from '../../bench/ipc-names.js';
import { sweepLedger } from '../../bench/native/ledger.js';
import type { PlanCase, ProbeLine } from '../../core/protocol.js';
import { pairDeadlineMs, runPairProcesses } from '../../harness/placements/pair.js';
import { sidePlans, type PairSpec } from '../../harness/plan.js';
import type { SideCommand } from '../../harness/runtimes/runtime.js';
import { ipcObjectExists } from './ipc.js';
import { planProcesses } from './probes.js';

export type Runtime = 'node' | 'native';

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const NATIVE_PROBE = join(PACKAGE_ROOT, 'build', 'Release', 'podipc_probe');
export const NODE_ENTRYPOINT = join(PACKAGE_ROOT, 'dist', 'bench', 'entrypoint.js');

export interface PairOptions {
  server: Runtime;
  client: Runtime;
  mechanism: string;
  variant?: string;
  cases: Array<Omit<PlanCase, 'caseIndex' | 'mechanism' | 'variant'>>;
  budget?: Partial<{ warmupMs: number; warmupRoundTrips: number; measureMs: number; setupTimeoutMs: number }>;
  /** Called with the pair's directory once both sides are started (to find or kill them). */
  whileRunning?: (pairDir: string) => Promise<void>;
}

export interface PairResult {
  lines: ProbeLine[];
  failure: string | undefined;
  /** Every object either side ledgered. */
  ledgered: LedgerEntry[];
  /** Ledgered objects that still existed after the pair, before the sweep: leaks of the probes. */
  leftBehind: LedgerEntry[];
  /** What the sweep could not remove (should be empty). */
  sweepFailed: string[];
}

export function sideCommand(runtime: Runtime, planPath: string): SideCommand {
  return runtime === 'native'
    ? { command: NATIVE_PROBE, args: ['--plan', planPath] }
    : { command: process.execPath, args: [NODE_ENTRYPOINT, '--plan', planPath] };
}

function randomTag(): string {
  return `nt${Math.random().toString(36).slice(2, 8)}`.replace(/[^a-z0-9]/g, 'x').slice(0, 12);
}

export function readLedger(sharedDir: string): LedgerEntry[] {
  const path = join(sharedDir, 'ipc-ledger.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LedgerEntry);
}

/** Probe processes (either runtime) whose plan lies in `pairDir`, by role. */
export function pairProbePids(pairDir: string, role: 'server' | 'client'): number[] {
  const plan = join(pairDir, `${role}.plan.json`);
  return planProcesses()
    .filter((p) => p.plan === plan)
    .map((p) => p.pid);
}

/** Write both sides' plans into a fresh pair directory; returns the directory and plan paths. */
async function preparePair(o: PairOptions): Promise<{ dir: string; spec: PairSpec; planPaths: Record<'server' | 'client', string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'podipc-native-test-'));
  const shared = join(dir, 'shared');
  const disk = join(dir, 'disk');
  await mkdir(shared);
  await mkdir(disk);
  const budget = { warmupMs: 5, warmupRoundTrips: 20, measureMs: 40, setupTimeoutMs: 3000, ...o.budget };
  const spec: PairSpec = {
    // Which runtime runs each side is this helper's business (sideCommand); the spec's is the client's.
    runtime: o.client,
    topology: 'same-pod',
    run: 0,
    cases: o.cases.map((c, caseIndex) => ({ caseIndex, mechanism: o.mechanism, ...(o.variant ? { variant: o.variant } : {}), ...c })),
    budget,
  };
  const plans = sidePlans(spec, {
    dirs: { shared, disk },
    net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
    ipc: { runTag: randomTag(), sysvSlot: Math.floor(Math.random() * 0xffff) },
  });
  const planPaths = { server: join(dir, 'server.plan.json'), client: join(dir, 'client.plan.json') };
  for (const role of ['server', 'client'] as const) await writeFile(planPaths[role], JSON.stringify(plans[role]), { mode: 0o600 });
  return { dir, spec, planPaths };
}

export async function runPair(o: PairOptions): Promise<PairResult> {
  const { dir, spec, planPaths } = await preparePair(o);
  const shared = join(dir, 'shared');
  const commands = { server: sideCommand(o.server, planPaths.server), client: sideCommand(o.client, planPaths.client) };
  try {
    const running = runPairProcesses(commands.server, commands.client, pairDeadlineMs(spec), new AbortController().signal);
    if (o.whileRunning) await o.whileRunning(dir);
    const outcome = await running;
    const ledgered = readLedger(shared);
    const leftBehind = ledgered.filter((e) => ipcObjectExists(e));
    const swept = await sweepLedger(join(shared, 'ipc-ledger.jsonl'));
    return { lines: outcome.lines, failure: outcome.failure, ledgered, leftBehind, sweepFailed: swept.failed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every case of `mechanism` at each size through both probes (sem: what it supports). */
export function bothProbes(sizes: readonly number[]): Array<Pick<PlanCase, 'probe' | 'messageBytes'>> {
  return (['latency', 'throughput'] as const).flatMap((probe) => sizes.map((messageBytes) => ({ probe, messageBytes })));
}

/**
 * The same pair without the harness's parser in between: the client's stdout exactly as
 * printed (result lines carry fields the current schema does not keep, e.g. latencyHistogram).
 */
export async function runPairRawStdout(o: PairOptions): Promise<string> {
  const { dir, planPaths } = await preparePair(o);
  const run = (role: 'server' | 'client'): Promise<string> => {
    const c = sideCommand(o[role], planPaths[role]);
    return new Promise((resolvePromise, reject) => {
      execFile(c.command, c.args, { timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${role} failed: ${err.message}: ${stderr}`)) : resolvePromise(stdout),
      );
    });
  };
  try {
    const [, stdout] = await Promise.all([run('server'), run('client')]);
    return stdout;
  } finally {
    await sweepLedger(join(dir, 'shared', 'ipc-ledger.jsonl'));
    await rm(dir, { recursive: true, force: true });
  }
}
