/**
 * The `process` placement: server and client as two plain child processes on the host.
 * No isolation - they share the host's network and IPC namespaces - so it is the baseline
 * every OS can run. A private temporary directory stands in for the pod's emptyDir; a
 * tmpfs mounted by the run (as root) or a directory in /dev/shm stands in for the
 * `medium: Memory` emptyDir.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sweepLedger } from '../../bench/native/ledger.js';
import { RUN_TAG_PATTERN, type ProbeLine } from '../../core/protocol.js';
import type { Requirement } from '../../core/requirements.js';
import type { PlacementFacts } from '../../core/results.js';
import { POD_PROVIDES } from '../capabilities.js';
import { sidePlans, type PairSpec } from '../plan.js';
import { runtimes } from '../runtimes/index.js';
import type { Runtime } from '../runtimes/runtime.js';
import { hostBuildLacks, hostRuntimeAvailability } from './host-build.js';
import { pairDeadlineMs, runPairProcesses } from './pair.js';
import type { PairOutcome, Placement, PlacementOptions, PlacementSession } from './placement.js';

const run = promisify(execFile);
const ROOT_PREFIX = 'podipc-';

interface Owner {
  pid: number;
  runTag: string;
  tmpfsMount?: string;
  devShmDir?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove everything a dead run left: its IPC objects (from the ledgers), mounts and dirs. */
async function sweepRunDir(dir: string, owner: Owner): Promise<void> {
  const pairsDir = join(dir, 'pairs');
  for (const pair of await readdir(pairsDir).catch(() => [] as string[])) {
    await sweepLedger(join(pairsDir, pair, 'shared', 'ipc-ledger.jsonl'));
  }
  if (owner.tmpfsMount) await run('umount', ['-l', owner.tmpfsMount]).catch(() => {});
  if (owner.devShmDir) await rm(owner.devShmDir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
}

/** Find run directories whose harness is dead (a SIGKILL, a crash) and sweep them. */
export async function sweepStaleProcessRuns(log: (line: string) => void, base = tmpdir()): Promise<number> {
  let swept = 0;
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith(ROOT_PREFIX)) continue;
    const dir = join(base, name);
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as Owner;
    } catch {
      // Not ours, or not yet written: leave it alone - unless it is a run directory that stayed
      // empty (a forced exit between its mkdir and its owner.json) for longer than any harness
      // takes to write that file.
      if (await abandonedEmptyRunDir(name, dir)) {
        await rm(dir, { recursive: true, force: true });
        log(`removed the empty directory of an interrupted run: ${dir}`);
        swept++;
      }
      continue;
    }
    if (alive(owner.pid)) continue;
    await sweepRunDir(dir, owner);
    log(`removed leftovers of an interrupted run (${owner.runTag}, harness pid ${owner.pid} is gone): ${dir}`);
    swept++;
  }
  return swept;
}

/** A run directory is `podipc-<runTag>`; the harness writes owner.json into it right after making it. */
const EMPTY_RUN_DIR_GRACE_MS = 60_000;

async function abandonedEmptyRunDir(name: string, dir: string): Promise<boolean> {
  if (!RUN_TAG_PATTERN.test(name.slice(ROOT_PREFIX.length))) return false;
  try {
    const [entries, info] = await Promise.all([readdir(dir), stat(dir)]);
    return entries.length === 0 && Date.now() - info.mtimeMs > EMPTY_RUN_DIR_GRACE_MS;
  } catch {
    return false;
  }
}

async function isRoot(): Promise<boolean> {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A tmpfs for the memory volume: mount one (root), else a directory on /dev/shm. */
async function memoryVolume(root: string, runTag: string, owner: Owner): Promise<string | undefined> {
  if (process.platform === 'linux' && (await isRoot())) {
    const mountPoint = join(root, 'memory');
    await mkdir(mountPoint, { mode: 0o700 });
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=512m,mode=0700', `podipc-${runTag}`, mountPoint]);
      owner.tmpfsMount = mountPoint;
      return mountPoint;
    } catch {
      /* fall through to /dev/shm */
    }
  }
  const devShm = '/dev/shm';
  try {
    await access(devShm);
    const dir = join(devShm, `${ROOT_PREFIX}${runTag}`);
    await mkdir(dir, { mode: 0o700 });
    owner.devShmDir = dir;
    return dir;
  } catch {
    return undefined;
  }
}

class ProcessSession implements PlacementSession {
  private pairCount = 0;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly owner: Owner,
    private readonly tmpfs: string | undefined,
    private readonly options: PlacementOptions,
  ) {}

  lacks(): ReadonlyMap<Requirement, string> {
    const lacks = hostBuildLacks();
    if (!this.tmpfs) lacks.set('volume-tmpfs', 'no tmpfs volume: the process placement needs root to mount one, or a writable /dev/shm');
    return lacks;
  }

  runtimeAvailability(runtime: Runtime) {
    return hostRuntimeAvailability(runtime);
  }

  facts(): PlacementFacts {
    return {
      isolation: 'none: two host processes sharing the host network and IPC namespaces',
      resources: {},
      details: { tmpfsVolume: this.owner.tmpfsMount ? 'a tmpfs mounted by the run' : this.tmpfs ? 'a directory in /dev/shm' : 'none' },
    };
  }

  async runPair(spec: PairSpec, signal: AbortSignal, onLine?: (line: ProbeLine) => void): Promise<PairOutcome> {
    const dir = join(this.root, 'pairs', String(this.pairCount++));
    const shared = join(dir, 'shared');
    const disk = join(dir, 'disk');
    const memory = this.tmpfs ? join(this.tmpfs, String(this.pairCount - 1)) : undefined;
    for (const d of [shared, disk, memory]) if (d) await mkdir(d, { recursive: true, mode: 0o700 });
    const plans = sidePlans(spec, {
      dirs: { shared, disk, ...(memory ? { tmpfs: memory } : {}) },
      net: { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
      ipc: { runTag: this.options.runTag, sysvSlot: this.options.sysvSlot },
    });
    const side = async (role: 'server' | 'client') => {
      const planPath = join(dir, `${role}.plan.json`);
      await writeFile(planPath, JSON.stringify(plans[role]), { mode: 0o600 });
      return runtimes[spec.runtime].hostCommand(planPath);
    };
    try {
      return await runPairProcesses(await side('server'), await side('client'), pairDeadlineMs(spec), signal, onLine);
    } finally {
      // Whatever the sides left (a killed side cannot clean up), the ledger names it.
      const swept = await sweepLedger(join(shared, 'ipc-ledger.jsonl'));
      if (swept.failed.length > 0) this.options.log(`warning: could not remove IPC objects: ${swept.failed.join('; ')}`);
      await rm(dir, { recursive: true, force: true });
      if (memory) await rm(memory, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await sweepRunDir(this.root, this.owner);
  }
}

export const processPlacement: Placement = {
  id: 'process',
  capabilities: {
    topologies: ['same-pod'],
    // One pod only: everything a pod provides, and no second pod.
    provides: { 'same-pod': POD_PROVIDES['same-pod'], 'cross-pod': [] },
    resourceControls: { cpuLimit: false, pin: false, memory: false },
    probeSource: 'host',
    pairScope: 'all',
  },
  async check() {
    return runtimes.node.availability();
  },
  async open(options) {
    await sweepStaleProcessRuns(options.log);
    const root = join(tmpdir(), `${ROOT_PREFIX}${options.runTag}`);
    await mkdir(root, { mode: 0o700 });
    const owner: Owner = { pid: process.pid, runTag: options.runTag };
    // Written first, so even a crash during setup leaves a directory the next run can sweep.
    await writeFile(join(root, 'owner.json'), JSON.stringify(owner));
    const tmpfs = await memoryVolume(root, options.runTag, owner);
    await writeFile(join(root, 'owner.json'), JSON.stringify(owner));
    return new ProcessSession(root, owner, tmpfs, options);
  },
};
