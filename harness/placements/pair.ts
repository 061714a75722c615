/**
 * Run one server/client pair as local child processes: the shared machinery of every
 * placement whose containers are processes on this host (process, sandbox). A placement
 * supplies the command lines (the sandbox wraps them in nsenter/unshare); this module
 * starts the server, then the client, enforces the pair's deadline, collects the client's
 * result lines, keeps the tail of both stderrs, and kills whole process groups on the way
 * out so nothing survives a timeout or Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { extractProbeLines, type ProbeLine } from '../../core/protocol.js';
import type { PairSpec } from '../plan.js';
import type { SideCommand } from '../runtimes/runtime.js';
import type { PairOutcome } from './placement.js';

const STDERR_TAIL_BYTES = 2000;
/** How long the server may take to finish after the client is done before it is killed. */
const SERVER_GRACE_MS = 3000;
/** Between SIGTERM (let the probe close its IPC objects) and SIGKILL. */
const KILL_GRACE_MS = 1000;

/** Every process group this harness started and has not yet reaped: killed on Ctrl-C. */
const liveGroups = new Set<ChildProcess>();

/** The longest a pair may run: startup, per-case setup allowance, warm-up and measurement. */
export function pairDeadlineMs(spec: PairSpec): number {
  const perCase = spec.budget.warmupMs + spec.budget.measureMs + 2 * spec.budget.setupTimeoutMs;
  // A rate search measures one window per step: the x2 ladder from start to max plus four
  // bisections at most (core/rate.ts nextSearchRate), each window capped at twice its length.
  const searchWindows = spec.cases.reduce(
    (n, c) => n + (c.search ? 2 * (Math.ceil(Math.log2(Math.max(1, c.search.maxRatePerSec / c.search.startRatePerSec))) + 5) : 0),
    0,
  );
  // A latency case also runs tinybench's minimum iterations; 1 MiB round trips on a busy
  // host can outlast the budget, hence the factor.
  return 15_000 + spec.cases.length * perCase * 2 + searchWindows * spec.budget.measureMs;
}

function tail(text: string): string {
  const t = text.length > STDERR_TAIL_BYTES ? '…' + text.slice(-STDERR_TAIL_BYTES) : text;
  return t.trim();
}

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/** One exit promise per child, so repeated waits add no listeners. */
const exitOf = new WeakMap<ChildProcess, Promise<void>>();
/**
 * Resolved on 'close': the process has exited *and* its stdout/stderr are drained. 'exit' can
 * come first, with the last result line still in the pipe; reading stdout then lost it.
 */
const closeOf = new WeakMap<ChildProcess, Promise<void>>();

function start(side: SideCommand, onStdoutLine?: (line: string) => void): Started {
  // detached: the child leads its own process group, so one kill(-pid) reaches whatever it
  // spawned too (nsenter -> unshare -> node), and a Ctrl-C on the terminal reaches only us,
  // letting the harness tear down in order.
  const child = spawn(side.command, side.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: side.env ?? process.env });
  liveGroups.add(child);
  exitOf.set(child, new Promise((resolve) => child.once('exit', () => resolve())));
  closeOf.set(child, new Promise((resolve) => child.once('close', () => resolve())));
  child.once('exit', () => liveGroups.delete(child));
  // A failed spawn (no such command) shows as exit code -2 etc.; keep it from throwing.
  child.once('error', () => {});
  let out = '';
  let err = '';
  let lineStart = 0;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (!onStdoutLine) return;
    for (let nl = out.indexOf('\n', lineStart); nl >= 0; nl = out.indexOf('\n', lineStart)) {
      onStdoutLine(out.slice(lineStart, nl));
      lineStart = nl + 1;
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (err.length > 4 * STDERR_TAIL_BYTES) err = err.slice(-2 * STDERR_TAIL_BYTES);
  });
  return { child, stdout: () => out, stderr: () => err };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  return waitFor(exitOf.get(child) ?? once(child, 'exit'), ms);
}

/** Wait until the child's pipes are drained (bounded: a stray holder of the pipe cannot hang us). */
async function waitDrained(child: ChildProcess, ms: number): Promise<boolean> {
  return waitFor(closeOf.get(child) ?? once(child, 'close'), ms);
}

async function waitFor(event: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = event.then(() => true as const);
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM the group, then SIGKILL it if it has not exited within the grace period. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  if (!exited(child)) {
    signalGroup('SIGTERM');
    if (await waitExit(child, KILL_GRACE_MS)) return signalGroup('SIGKILL'); // stragglers in the group
  }
  signalGroup('SIGKILL');
  await waitExit(child, KILL_GRACE_MS);
}

/** Kill every pair still running (Ctrl-C, fatal error). */
export async function killAllPairs(): Promise<void> {
  await Promise.all([...liveGroups].map((c) => killGroup(c)));
}

function describeExit(who: string, child: ChildProcess): string {
  if (child.signalCode) return `${who} was killed by ${child.signalCode}`;
  return `${who} exited with code ${child.exitCode}`;
}

export async function runPairProcesses(
  server: SideCommand,
  client: SideCommand,
  deadlineMs: number,
  signal: AbortSignal,
  onLine?: (line: ProbeLine) => void,
): Promise<PairOutcome> {
  const s = start(server);
  // Live progress only: a line that does not parse here is reported by the final parse below.
  const c = start(client, onLine && ((text) => {
    try {
      extractProbeLines(text).forEach(onLine);
    } catch {
      /* reported once the pair is done */
    }
  }));
  let timedOut = false;
  let aborted = false;
  const deadline = setTimeout(() => (timedOut = true), deadlineMs);
  const onAbort = (): void => {
    aborted = true;
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    // Wake up every 50 ms to notice the deadline, an abort, or the server dying early.
    // A server that crashed (signal or non-zero exit) cannot serve the remaining cases: stop
    // the client at once rather than let it wait out a setup timeout per case; those cases
    // fail with the server's exit and stderr as their reason.
    const serverCrashed = (): boolean => exited(s.child) && (s.child.signalCode !== null || s.child.exitCode !== 0);
    while (!exited(c.child) && !timedOut && !aborted && !serverCrashed()) await waitExit(c.child, 50);
    // Let the client print the line of the case it was in (it sees the peer vanish).
    if (serverCrashed() && !exited(c.child)) await waitExit(c.child, 500);
    const clientDone = exited(c.child);
    if (clientDone) await waitExit(s.child, SERVER_GRACE_MS);
    // Read before the kills below, which would make every exit look like ours.
    const serverSelfExited = exited(s.child);
    await Promise.all([killGroup(c.child), killGroup(s.child)]);
    // Every process of both groups is gone now: what they wrote is in the pipes or already read.
    await Promise.all([waitDrained(c.child, KILL_GRACE_MS), waitDrained(s.child, KILL_GRACE_MS)]);

    let lines: ProbeLine[] = [];
    let protocolError: string | undefined;
    try {
      lines = extractProbeLines(c.stdout());
    } catch (err) {
      protocolError = (err as Error).message;
    }
    const problems: string[] = [];
    if (aborted) problems.push('interrupted');
    if (timedOut) problems.push(`the pair did not finish within ${Math.round(deadlineMs / 1000)} s and was killed`);
    if (clientDone && c.child.exitCode !== 0) problems.push(describeExit('the client', c.child));
    if (clientDone && !serverSelfExited) problems.push(`the server did not exit ${SERVER_GRACE_MS} ms after the client and was killed`);
    if (serverSelfExited && s.child.exitCode !== 0) problems.push(describeExit('the server', s.child));
    if (protocolError) problems.push(protocolError);
    if (problems.length === 0) return { lines };
    const stderrs = [`server stderr: ${tail(s.stderr()) || '(empty)'}`, `client stderr: ${tail(c.stderr()) || '(empty)'}`];
    return { lines, failure: `${problems.join('; ')}. ${stderrs.join(' | ')}` };
  } finally {
    clearTimeout(deadline);
    signal.removeEventListener('abort', onAbort);
  }
}
