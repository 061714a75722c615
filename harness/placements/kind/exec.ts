/**
 * The small runner that executes a command plan (`steps.ts`): each step is one process
 * (never a shell), with a timeout, an optional stdin, and its stdout kept when the step
 * asks. Steps marked `always` run on every path out, with their own timeouts and no abort
 * signal, so cleanup happens after a failure and after Ctrl-C too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { podProgress, type PodProgress } from './pod-status.js';
import { type CaptureKey, type RunStep, type Step, type WatchStep } from './steps.js';

const TAIL_BYTES = 1500;
/** Between SIGTERM and SIGKILL for a command that overran or was interrupted. */
const KILL_GRACE_MS = 2000;
/** Output kept of a step that captures nothing (a docker build can print megabytes). */
const UNCAPTURED_KEEP_BYTES = 64 * 1024;
const WATCH_EMPTY_RETRIES = 5;

export interface StepIo {
  signal?: AbortSignal | undefined;
  /** One line per step started, for the user. */
  log?: ((line: string) => void) | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface StepsResult {
  captures: Partial<Record<CaptureKey, string>>;
  /** The first non-optional step that failed, described with its command and output tail. */
  failure: string | undefined;
  /** Optional steps that failed. */
  notes: string[];
  interrupted: boolean;
}

interface Attempt {
  ok: boolean;
  stdout: string;
  message?: string;
}

/** Every process this runner started and has not seen exit; killed by `killKindChildren`. */
const live = new Set<ChildProcess>();

function tail(text: string): string {
  const t = text.trim();
  return t.length > TAIL_BYTES ? '…' + t.slice(-TAIL_BYTES) : t;
}

function kill(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS).unref();
}

/** Kill every command still running (a second Ctrl-C, a fatal error). */
export function killKindChildren(): void {
  for (const child of live) kill(child);
}

function start(argv: readonly string[], stdin: string | undefined, env: NodeJS.ProcessEnv | undefined): ChildProcess {
  const [program, ...args] = argv;
  if (!program) throw new Error('empty command line');
  const child = spawn(program, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(child);
  child.once('close', () => live.delete(child));
  if (stdin !== undefined) {
    child.stdin?.on('error', () => {}); // the command may exit before reading all of it; its exit code says why
    child.stdin?.end(stdin);
  }
  return child;
}

function spawnError(argv: readonly string[], err: NodeJS.ErrnoException): string {
  return err.code === 'ENOENT' ? `${argv[0]} is not on PATH` : `${argv[0]} could not start: ${err.message}`;
}

/** Run a step's command once, to completion, a timeout, or an abort. */
async function runOnce(step: RunStep, signal: AbortSignal | undefined, env: NodeJS.ProcessEnv | undefined): Promise<Attempt> {
  if (signal?.aborted) return { ok: false, stdout: '', message: 'interrupted' };
  return new Promise<Attempt>((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    let why: string | undefined;
    const child = start(step.argv, step.stdin, env);
    const keepAll = step.capture !== undefined;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!keepAll && stdout.length > 2 * UNCAPTURED_KEEP_BYTES) stdout = stdout.slice(-UNCAPTURED_KEEP_BYTES);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 2 * UNCAPTURED_KEEP_BYTES) stderr = stderr.slice(-UNCAPTURED_KEEP_BYTES);
    });
    const finish = (a: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(a);
    };
    const timer = setTimeout(() => {
      why = `timed out after ${Math.round(step.timeoutMs / 1000)} s`;
      kill(child);
    }, step.timeoutMs);
    const onAbort = (): void => {
      why = 'interrupted';
      kill(child);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => finish({ ok: false, stdout, message: spawnError(step.argv, err) }));
    child.once('close', (code, sig) => {
      if (why) return finish({ ok: false, stdout, message: `${why}${stderr.trim() ? `: ${tail(stderr)}` : ''}` });
      if (code === 0) return finish({ ok: true, stdout });
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      const output = tail(stderr) || tail(stdout);
      finish({ ok: false, stdout, message: `${how}${output ? `: ${output}` : ''}` });
    });
  });
}

/**
 * Split concatenated JSON objects (what `kubectl get -o json --watch` prints) into
 * complete objects and the unfinished rest. Braces inside strings do not count.
 */
export function splitJsonObjects(buffer: string): { objects: string[]; rest: string } {
  const objects: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let startAt = -1;
  let consumed = 0;
  for (let i = 0; i < buffer.length; i++) {
    const ch = buffer[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) startAt = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        objects.push(buffer.slice(startAt, i + 1));
        consumed = i + 1;
      }
    }
  }
  return { objects, rest: buffer.slice(consumed) };
}

/** Watch a pod until the wanted container state, a stuck pod, the timeout, or an abort. */
async function watchPod(step: WatchStep, signal: AbortSignal | undefined, env: NodeJS.ProcessEnv | undefined): Promise<Attempt> {
  const deadline = Date.now() + step.timeoutMs;
  let last = '';
  let lastProgress: PodProgress | undefined;
  let lastError = '';
  // A watch that keeps ending without printing a pod (cluster gone, no such pod) is not
  // going to start working: give up after a few tries instead of waiting out the timeout.
  let emptyEndings = 0;
  while (!signal?.aborted && Date.now() < deadline && emptyEndings < WATCH_EMPTY_RETRIES) {
    let sawPod = false;
    const verdict = await new Promise<{ decided?: Attempt; error?: string }>((resolve) => {
      let buffer = '';
      let stderr = '';
      let settled = false;
      const child = start(step.argv, undefined, env);
      const finish = (v: { decided?: Attempt; error?: string }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        kill(child);
        resolve(v);
      };
      const timer = setTimeout(() => finish({}), Math.max(0, deadline - Date.now()));
      const onAbort = (): void => finish({ decided: { ok: false, stdout: last, message: 'interrupted' } });
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        const split = splitJsonObjects(buffer + d);
        buffer = split.rest;
        for (const text of split.objects) {
          let pod: unknown;
          try {
            pod = JSON.parse(text);
          } catch {
            continue;
          }
          last = text;
          sawPod = true;
          lastProgress = podProgress(pod, step.until);
          if (lastProgress.kind === 'done') return finish({ decided: { ok: true, stdout: last } });
          if (lastProgress.kind === 'stuck') return finish({ decided: { ok: false, stdout: last, message: lastProgress.detail } });
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', (err) => finish({ decided: { ok: false, stdout: last, message: spawnError(step.argv, err) } }));
      // The watch ended without a verdict (API server closed it, pod not found yet): retry.
      child.once('close', () => finish({ error: tail(stderr) }));
    });
    if (verdict.decided) return verdict.decided;
    if (verdict.error !== undefined) {
      lastError = verdict.error || lastError;
      if (!sawPod) emptyEndings++;
    }
    if (Date.now() < deadline && !signal?.aborted) await sleep(1000);
  }
  if (signal?.aborted) return { ok: false, stdout: last, message: 'interrupted' };
  const seen = lastProgress ? ` (last seen: ${lastProgress.detail})` : lastError ? ` (${lastError})` : '';
  return { ok: false, stdout: last, message: `${step.until.pod}/${step.until.container} was not ${step.until.state} within ${Math.round(step.timeoutMs / 1000)} s${seen}` };
}

export async function runStep(step: Step, signal: AbortSignal | undefined, env?: NodeJS.ProcessEnv): Promise<Attempt> {
  return step.kind === 'watch' ? watchPod(step, signal, env) : runOnce(step, signal, env);
}

/**
 * Run the steps in order. After the first failure (or an abort) only `always` steps run.
 * Never throws for a failing command: the result says what failed.
 */
export async function runSteps(steps: readonly Step[], io: StepIo = {}): Promise<StepsResult> {
  const result: StepsResult = { captures: {}, failure: undefined, notes: [], interrupted: false };
  for (const step of steps) {
    const stopped = result.failure !== undefined || io.signal?.aborted === true;
    if (stopped && !step.always) continue;
    io.log?.(step.purpose);
    const attempt = await runStep(step, step.always ? undefined : io.signal, io.env);
    // An empty log is still a log: keep what a successful step printed, even nothing.
    if (step.capture && (attempt.ok || attempt.stdout)) result.captures[step.capture] = attempt.stdout;
    if (attempt.ok) continue;
    const message = `${step.purpose} failed (\`${step.argv.join(' ')}\`): ${attempt.message ?? 'unknown error'}`;
    if (attempt.message === 'interrupted') result.interrupted = true;
    else if (step.optional) result.notes.push(message);
    else if (result.failure === undefined) result.failure = message;
  }
  if (io.signal?.aborted) result.interrupted = true;
  return result;
}
