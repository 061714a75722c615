/**
 * The `sandbox` placement: a real pod boundary built from Linux namespaces, no container
 * engine and no images. Pod A holds the same-pod cases (server and client containers in
 * one pod); pod B, joined to pod A by a veth pair, is the client's pod for cross-pod cases.
 * The pieces live in ./sandbox/: layout (paths and names), pod (pause and containers),
 * network (veth), cgroups (limits), boundary (the check), state (teardown and sweeping).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProbeLine } from '../../core/protocol.js';
import { mechanismLabel } from '../../core/vocabulary.js';
import type { Requirement } from '../../core/requirements.js';
import type { PlacementFacts } from '../../core/results.js';
import type { Availability } from '../availability.js';
import { POD_PROVIDES } from '../capabilities.js';
import { PACKAGE_ROOT } from '../paths.js';
import { pairMechanisms, sidePlans, type PairSpec } from '../plan.js';
import { runtimes } from '../runtimes/index.js';
import type { Runtime } from '../runtimes/runtime.js';
import { hostBuildLacks, hostRuntimeAvailability } from './host-build.js';
import { pairDeadlineMs, runPairProcesses } from './pair.js';
import type { PairOutcome, Placement, PlacementOptions, PlacementSession } from './placement.js';
import { checkBoundary, type BoundaryResult, type BoundaryRunner } from './sandbox/boundary.js';
import { RunCgroups, type ContainerCgroupFacts } from './sandbox/cgroups.js';
import { missingTools, mustRun, runCommand, toolEnv } from './sandbox/exec.js';
import { isInside, pairDirs, POD_DEV_SHM_BYTES, runLayout, type ContainerName, type PodKey, type RunLayout } from './sandbox/layout.js';
import { findLeftovers } from './sandbox/leftovers.js';
import { linkPods, type CrossPodLink } from './sandbox/network.js';
import { containerCommand, preparePairDir, resetPod, startPod, type Leftovers, type Pod } from './sandbox/pod.js';
import { identify, killRunSync, sweepStaleSandboxRuns, teardownState, uptimeTicks, writeState, type SandboxState } from './sandbox/state.js';

const BOUNDARY_ENTRY = resolve(import.meta.dirname, '../../bench/boundary-check.js');

/** The containers a session runs in: pod A's two, and pod B's client (cross-pod). */
const CONTAINERS: readonly { pod: PodKey; container: ContainerName }[] = [
  { pod: 'a', container: 'server' },
  { pod: 'a', container: 'client' },
  { pod: 'b', container: 'client' },
];
const containerId = (pod: PodKey, container: ContainerName): string => `pod-${pod}/${container}`;

interface ContainerSetup {
  procsFiles: string[];
  facts: ContainerCgroupFacts;
}

class SandboxSession implements PlacementSession {
  private pairCount = 0;
  private closed = false;
  private readonly onExit = (): void => killRunSync(this.state);

  constructor(
    private readonly layout: RunLayout,
    private readonly state: SandboxState,
    private readonly pods: Record<PodKey, Pod>,
    private readonly containers: Map<string, ContainerSetup>,
    private readonly link: CrossPodLink,
    private readonly boundary: BoundaryResult,
    private readonly options: PlacementOptions,
  ) {
    // Backstop for an exit that skips close(): kill the pods now; the next run removes the rest.
    process.on('exit', this.onExit);
  }

  lacks(): ReadonlyMap<Requirement, string> {
    return hostBuildLacks();
  }

  runtimeAvailability(runtime: Runtime): Availability {
    return hostRuntimeAvailability(runtime);
  }

  facts(): PlacementFacts {
    const { resources } = this.options;
    const { problems: _problems, ...boundary } = this.boundary;
    return {
      isolation: 'a pod boundary from Linux namespaces: the pod shares network, IPC and UTS; each container has its own mount and PID namespaces',
      resources: {
        ...(resources.cpuLimit !== undefined ? { cpuLimitCores: resources.cpuLimit } : {}),
        ...(resources.pin !== undefined ? { pin: [...resources.pin] } : {}),
        ...(resources.memoryBytes !== undefined ? { memoryBytes: resources.memoryBytes } : {}),
        appliedWith: 'cgroup v1, per container (cpu.cfs_quota_us, cpuset.cpus: server on the first pinned CPU, client on the last; memory.limit_in_bytes)',
      },
      boundary: {
        ...boundary,
        method: "a SysV queue (ipcmk), a /dev/shm file and a file per volume made in pod A's server container; looked for from its client container, the host and pod B",
      },
      details: {
        runtime: 'Linux namespaces via util-linux (unshare, nsenter) and iproute2; no container engine, no images',
        pods: Object.values(this.pods).map((p) => ({ name: p.layout.name, hostname: p.layout.name, pausePid: p.pause.pid, namespaces: p.namespaces })),
        container: 'own mount and PID namespaces, private /tmp (tmpfs); the host root filesystem (no image)',
        devShmBytes: POD_DEV_SHM_BYTES,
        volumes: { disk: 'emptyDir {} on disk', memory: 'emptyDir {medium: Memory} (tmpfs)' },
        crossPodLink: this.link,
        containers: Object.fromEntries([...this.containers].map(([id, c]) => [id, c.facts])),
      },
    };
  }

  private container(pod: PodKey, name: ContainerName): ContainerSetup {
    return this.containers.get(containerId(pod, name)) ?? { procsFiles: [], facts: { cgroups: [] } };
  }

  async runPair(spec: PairSpec, signal: AbortSignal, onLine?: (line: ProbeLine) => void): Promise<PairOutcome> {
    if (this.closed) throw new Error('the sandbox session is closed');
    const index = this.pairCount++;
    const cross = spec.topology === 'cross-pod';
    const dirs = pairDirs(this.layout, index, cross);
    const serverPod = this.pods.a;
    const clientPod = cross ? this.pods.b : this.pods.a;
    const podsUsed = cross ? [serverPod, clientPod] : [serverPod];
    let outcome: PairOutcome | undefined;
    try {
      await mkdir(dirs.shared, { recursive: true, mode: 0o700 });
      await mkdir(dirs.planDir, { recursive: true, mode: 0o700 });
      await mkdir(dirs.server.disk, { recursive: true });
      await mkdir(dirs.client.disk, { recursive: true });
      await preparePairDir(serverPod, dirs.server.tmpfs);
      if (cross) await preparePairDir(clientPod, dirs.client.tmpfs);

      const plans = sidePlans(spec, {
        dirs: { shared: dirs.shared, disk: dirs.server.disk, tmpfs: dirs.server.tmpfs },
        // Cross pod: the server listens on every interface of its pod, the client dials the
        // server pod's veth address, as it would dial a pod IP.
        net: cross
          ? { listenHost: '0.0.0.0', connectHost: serverPod.layout.address, port: 0 }
          : { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0 },
        ipc: { runTag: this.options.runTag, sysvSlot: this.options.sysvSlot },
      });
      plans.client.dirs = { shared: dirs.shared, disk: dirs.client.disk, tmpfs: dirs.client.tmpfs };
      const side = async (role: ContainerName, pod: Pod) => {
        const planPath = join(dirs.planDir, `${role}.plan.json`);
        await writeFile(planPath, JSON.stringify(plans[role]), { mode: 0o600 });
        const { command, args } = runtimes[spec.runtime].hostCommand(planPath);
        return containerCommand(pod, this.container(pod.layout.key, role).procsFiles, PACKAGE_ROOT, [command, ...args]);
      };
      outcome = await runPairProcesses(await side('server', serverPod), await side('client', clientPod), pairDeadlineMs(spec), signal, onLine);
      return outcome;
    } finally {
      await this.cleanPair(podsUsed, dirs, spec, outcome);
    }
  }

  /** Empty the pods of what the pair left, so every pair starts from a clean pod. */
  private async cleanPair(pods: Pod[], dirs: ReturnType<typeof pairDirs>, spec: PairSpec, outcome: PairOutcome | undefined): Promise<void> {
    for (const pod of pods) {
      const tmpfsDir = pod === this.pods.a ? dirs.server.tmpfs : dirs.client.tmpfs;
      let left: Leftovers;
      try {
        left = await resetPod(pod, tmpfsDir);
      } catch (err) {
        this.options.log(`warning: ${(err as Error).message}`);
        continue;
      }
      const total = left.devShm + left.posixMq + left.sysv;
      // A pair that completed should have closed its channels; a killed one could not.
      if (total > 0 && outcome && !outcome.failure) {
        this.options.log(
          `warning: ${pairMechanisms(spec).map(mechanismLabel).join(', ')} left ${left.devShm} /dev/shm file(s), ${left.posixMq} POSIX queue(s) and ${left.sysv} SysV object(s) in pod ${pod.layout.name}; removed them`,
        );
      }
    }
    await rm(dirs.planDir, { recursive: true, force: true });
    for (const disk of new Set([dirs.server.disk, dirs.client.disk])) await rm(join(disk, '..'), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    const closingAt = uptimeTicks();
    const problems = await teardownState(this.state);
    // Verify rather than trust: anything of the run still on the host is reported.
    const left = findLeftovers(this.options.runTag, Object.values(this.pods).map((p) => p.namespaces), closingAt);
    if (problems.length || left.length) this.options.log(`warning: sandbox teardown left: ${[...problems, ...left].join('; ')}`);
  }
}

let cachedCheck: Availability | undefined;

async function checkSandbox(): Promise<Availability> {
  if (process.platform !== 'linux') return { ok: false, reason: `it needs Linux namespaces and this is ${process.platform}; use --placement process` };
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: 'it needs root (it creates namespaces, mounts, veth links and cgroups): run as root, e.g. `sudo npm run bench -- --placement sandbox`, or use --placement process' };
  }
  const missing = missingTools();
  if (missing.length) return { ok: false, reason: `missing ${missing.join(', ')}: install with \`apt-get install -y util-linux mount iproute2\`, or use --placement process` };
  const node = runtimes.node.availability();
  if (!node.ok) return node;
  if (!existsSync(BOUNDARY_ENTRY)) return { ok: false, reason: `the boundary check is not built (${BOUNDARY_ENTRY} missing): run \`npm run build\`` };
  // podipc itself may live under /tmp (each container binds it back into its private /tmp),
  // but node must not, and nothing can live under /dev/shm, which is the pod's own.
  for (const path of [PACKAGE_ROOT, process.execPath]) {
    if ((path === process.execPath && isInside(path, '/tmp')) || isInside(path, '/dev/shm')) {
      return { ok: false, reason: `${path} is under /tmp or /dev/shm, which every sandbox container replaces with its own; move it elsewhere, or use --placement process` };
    }
  }
  // The real test: can we make the namespaces here? (Not inside an unprivileged container.)
  const probe = await runCommand('unshare', ['--net', '--ipc', '--uts', '--mount', '--pid', '--fork', 'true'], { timeoutMs: 5000 }).catch((err: Error) => ({ code: -1, stderr: err.message }));
  if (probe.code !== 0) {
    return { ok: false, reason: `cannot create namespaces here (${probe.stderr.trim() || `unshare exited ${probe.code}`}); this needs CAP_SYS_ADMIN outside a restricted container; use --placement process` };
  }
  return { ok: true };
}

async function openSandbox(options: PlacementOptions): Promise<SandboxSession> {
  const availability = (cachedCheck ??= await checkSandbox());
  if (!availability.ok) throw new Error(`--placement sandbox: ${availability.reason}`);
  await sweepStaleSandboxRuns(options.log);

  const layout = runLayout(options.runTag);
  const harness = identify(process.pid);
  if (!harness) throw new Error('cannot read /proc/self/stat: the sandbox needs /proc');
  const state: SandboxState = { version: 1, runTag: options.runTag, harness, createdAt: new Date().toISOString(), root: layout.root, pauses: [], cgroups: [], vethLinks: [] };
  // Another run may be removing the (then empty) state root right now: retry once.
  await mkdir(layout.root, { recursive: true, mode: 0o755 }).catch(() => mkdir(layout.root, { recursive: true, mode: 0o755 }));
  // Written before anything else exists, so a crash at any later point leaves a state the
  // next run can sweep; rewritten after each step.
  await writeState(layout.statePath, state);
  const onExit = (): void => killRunSync(state);
  process.on('exit', onExit);
  try {
    for (const pod of Object.values(layout.pods)) {
      for (const dir of [pod.diskVolume, pod.memoryVolume, pod.mqueueDir]) await mkdir(dir, { recursive: true, mode: 0o777 });
    }
    await mkdir(layout.harnessDir, { recursive: true, mode: 0o755 });

    const { resources } = options;
    const cgroups = RunCgroups.open(options.runTag, resources);
    const containers = new Map<string, ContainerSetup>();
    try {
      for (const { pod, container } of CONTAINERS) {
        const cpu = resources.pin ? (container === 'server' ? resources.pin[0] : resources.pin[resources.pin.length - 1]) : undefined;
        containers.set(containerId(pod, container), await cgroups.container(`pod-${pod}`, container, { cpuLimit: resources.cpuLimit, cpu, memoryBytes: resources.memoryBytes }));
      }
    } finally {
      state.cgroups = [...cgroups.created].reverse();
      await writeState(layout.statePath, state);
    }

    const pods = {} as Record<PodKey, Pod>;
    for (const [key, other] of [['a', 'b'], ['b', 'a']] as const) {
      pods[key] = await startPod(layout.pods[key], [layout.pods[other].dir]);
      state.pauses.push(pods[key].pause, ...(pods[key].pauseChild ? [pods[key].pauseChild] : []));
      await writeState(layout.statePath, state);
    }
    state.vethLinks = [layout.pods.a.vethName, layout.pods.b.vethName];
    await writeState(layout.statePath, state);
    const link = await linkPods(pods.a, pods.b);

    const runner: BoundaryRunner = {
      async inContainer(pod, container, args, what) {
        const setup = containers.get(containerId(pod, container));
        const cmd = containerCommand(pods[pod], setup?.procsFiles ?? [], PACKAGE_ROOT, [process.execPath, BOUNDARY_ENTRY, ...args]);
        return mustRun(cmd.command, cmd.args, { what: `boundary check (${what})`, ...(cmd.env ? { env: cmd.env } : {}), timeoutMs: 20_000 });
      },
      onHost: (args, what) => mustRun(process.execPath, [BOUNDARY_ENTRY, ...args], { what: `boundary check (${what})`, env: toolEnv(), timeoutMs: 20_000 }),
    };
    const boundary = await checkBoundary(runner, options.runTag, { disk: layout.pods.a.diskVolume, memory: layout.pods.a.memoryVolume });
    if (!boundary.passed) {
      throw new Error(`sandbox boundary check failed, so same-pod and cross-pod results would be wrong: ${boundary.problems.join('; ')}`);
    }
    options.log(
      `sandbox: pods ${pods.a.layout.name} (pause ${pods.a.pause.pid}) and ${pods.b.layout.name} (pause ${pods.b.pause.pid}), ` +
        `veth ${link.server.address} <-> ${link.client.address}; boundary check passed (IPC, /dev/shm and volumes shared in the pod, invisible to the host and the other pod)`,
    );
    process.off('exit', onExit);
    return new SandboxSession(layout, state, pods, containers, link, boundary, options);
  } catch (err) {
    process.off('exit', onExit);
    const problems = await teardownState(state);
    if (problems.length) options.log(`warning: sandbox teardown after a failed start left: ${problems.join('; ')}`);
    throw err;
  }
}

export const sandboxPlacement: Placement = {
  id: 'sandbox',
  capabilities: {
    topologies: ['same-pod', 'cross-pod'],
    provides: POD_PROVIDES,
    resourceControls: { cpuLimit: true, pin: true, memory: true },
    probeSource: 'host',
    pairScope: 'all',
  },
  async check() {
    cachedCheck = await checkSandbox();
    return cachedCheck;
  },
  open: openSandbox,
};
