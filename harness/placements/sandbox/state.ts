/**
 * What a sandbox run created, written to `<run dir>/state.json` as it goes, so that
 * teardown - by the run itself, or by the next run when this one was SIGKILLed - removes
 * exactly the run's own things: pause processes, container cgroups, veth links and the run
 * directory. Mounts need no entry: every mount the sandbox makes lives in a pod's or a
 * container's own mount namespace and disappears with its last process. IPC objects likewise
 * die with the pod's IPC namespace, which is why the sandbox needs no IPC ledger sweep
 * (the process placement, sharing the host's IPC namespace, does); between pairs the pod is
 * emptied wholesale instead (resetPod), since everything in its namespace is the run's.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mustRun, toolEnv } from './exec.js';
import { STATE_ROOT } from './layout.js';
import { RUN_TAG_PATTERN } from '../../../core/protocol.js';

/** A pid plus its start time: a pid alone may have been reused by an unrelated process. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks after boot. */
  startTicks: string;
}

export interface SandboxState {
  version: 1;
  runTag: string;
  harness: ProcessIdentity;
  createdAt: string;
  /** The run directory (volumes, plans), removed last. */
  root: string;
  /** Pause processes (one per pod); killing one ends its pod's namespaces. */
  pauses: ProcessIdentity[];
  /** Container cgroup directories, deepest first (rmdir order). */
  cgroups: string[];
  /** veth names; created inside the pods' network namespaces, listed in case one escaped. */
  vethLinks: string[];
}

export function identify(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = fields[19];
    return startTicks === undefined ? undefined : { pid, startTicks };
  } catch {
    return undefined;
  }
}

/**
 * Now, in the unit of /proc/<pid>/stat start times: clock ticks since boot (USER_HZ, 100
 * on Linux). Lets a check ignore processes started after a given moment.
 */
export function uptimeTicks(): number {
  return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

/** Is this exact process (not a later one with the same pid) still running (not a zombie)? */
export function isRunning(id: ProcessIdentity): boolean {
  const now = identify(id.pid);
  if (!now || now.startTicks !== id.startTicks) return false;
  try {
    const stat = readFileSync(`/proc/${id.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function writeState(path: string, state: SandboxState): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

function isState(value: unknown): value is SandboxState {
  const s = value as Partial<SandboxState> | null;
  return (
    typeof s === 'object' && s !== null && s.version === 1 && typeof s.runTag === 'string' && typeof s.root === 'string' &&
    Array.isArray(s.pauses) && Array.isArray(s.cgroups) && Array.isArray(s.vethLinks) && typeof s.harness?.pid === 'number'
  );
}

function killIfSame(id: ProcessIdentity): void {
  if (!isRunning(id)) return;
  try {
    process.kill(id.pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}

/** Every task still in one of the run's cgroups: they are the run's containers, by construction. */
function cgroupTasks(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Synchronous, best effort: SIGKILL the run's processes. For process 'exit' hooks, where no
 * promise will run; whatever stays (directories, cgroups) the next run sweeps.
 */
export function killRunSync(state: SandboxState): void {
  for (const pause of state.pauses) killIfSame(pause);
  for (const dir of state.cgroups) {
    for (const pid of cgroupTasks(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

async function waitUntil(what: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Remove everything a run created, in order: processes (which ends the namespaces, their
 * mounts, IPC objects and veth links), then cgroups (only empty ones can go), stray links,
 * the run directory. Returns what could not be removed; idempotent.
 */
export async function teardownState(state: SandboxState): Promise<string[]> {
  const problems: string[] = [];
  killRunSync(state);
  if (!(await waitUntil(() => state.pauses.every((p) => !isRunning(p)), 5000))) {
    problems.push(`pause processes still running: ${state.pauses.filter(isRunning).map((p) => p.pid).join(', ')}`);
  }
  for (const dir of state.cgroups) {
    // A killed task leaves its cgroup as it exits; rmdir says EBUSY until then.
    const removed = await waitUntil(() => {
      for (const pid of cgroupTasks(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        rmdirSync(dir);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT';
      }
    }, 5000);
    if (!removed) problems.push(`cgroup ${dir} is still busy`);
  }
  for (const link of state.vethLinks) {
    if (!existsSync(`/sys/class/net/${link}`)) continue;
    await mustRun('ip', ['link', 'del', link], { what: `removing veth ${link}`, env: toolEnv() }).catch((err: Error) => problems.push(err.message));
  }
  await rm(state.root, { recursive: true, force: true }).catch((err: Error) => problems.push(`removing ${state.root}: ${err.message}`));
  // The state root itself goes when the last run leaves it (another run may be using it).
  await rmdir(join(state.root, '..')).catch(() => {});
  return problems;
}

/** How long a run directory may exist without a state file before it counts as abandoned. */
const ORPHAN_DIR_MS = 10 * 60 * 1000;

/**
 * At the start of a run: find runs whose harness is gone (SIGKILL, crash, power cut) and
 * tear them down. Runs of live harnesses - other users, parallel tests - are left alone.
 */
export async function sweepStaleSandboxRuns(log: (line: string) => void, stateRoot = STATE_ROOT): Promise<number> {
  let swept = 0;
  for (const name of await readdir(stateRoot).catch(() => [] as string[])) {
    const dir = join(stateRoot, name);
    let state: unknown;
    try {
      state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    } catch {
      // No state yet (a run between mkdir and its first write) or a broken one: only old
      // directories are abandoned; they hold no processes we could identify.
      const age = await stat(dir).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > ORPHAN_DIR_MS && RUN_TAG_PATTERN.test(name)) {
        await rm(dir, { recursive: true, force: true });
        log(`sandbox: removed an abandoned run directory without state: ${dir}`);
        swept++;
      }
      continue;
    }
    if (!isState(state) || isRunning(state.harness)) continue;
    const problems = await teardownState(state);
    log(
      `sandbox: removed the leftovers of run ${state.runTag} (its harness, pid ${state.harness.pid}, is gone)` +
        (problems.length ? `; could not remove: ${problems.join('; ')}` : ''),
    );
    swept++;
  }
  return swept;
}

/** For tests: the run directories present now. */
export function listRunDirs(stateRoot = STATE_ROOT): string[] {
  try {
    return readdirSync(stateRoot).filter((n) => statSync(join(stateRoot, n)).isDirectory());
  } catch {
    return [];
  }
}
