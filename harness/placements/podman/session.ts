/**
 * A podman run's session: adapt podman to the host, make sure the probe image is built
 * from these sources, find out what this podman honours, then one pair at a time - the
 * kind placement's manifests, adapted (adapt.ts), `podman kube play`, the client's log,
 * `podman kube down` - and at the end remove everything with the run's label. Every
 * command comes from the plans in commands.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Requirement } from '../../../core/requirements.js';
import type { PlacementFacts } from '../../../core/results.js';
import type { Availability } from '../../availability.js';
import { buildImage, DEFAULT_REQUEST, prepareEngine } from '../../image/build.js';
import { podmanAdaptation, readHostLimits, type Engine } from '../../image/engine.js';
import { pairInput, RAISED_IPC_LIMITS, renderPair, type RenderOptions } from '../../k8s/render.js';
import type { PairSpec } from '../../plan.js';
import type { Runtime } from '../../runtimes/runtime.js';
import { runSteps, type StepsResult } from '../kind/exec.js';
import { pairOutcome } from '../kind/outcome.js';
import type { Step } from '../kind/steps.js';
import type { PairOutcome, PlacementOptions, PlacementSession } from '../placement.js';
import { adaptPair, runLabel } from './adapt.js';
import {
  chooseSubnet,
  createNetworkStep,
  detectionPlan,
  listNetworksStep,
  pairPlan,
  runNetwork,
  sweepListSteps,
  sweepRemoveSteps,
  takenSubnets,
  type RunNetwork,
} from './commands.js';
import { describeHonoured, detectionPodName, detectionPodYaml, detectionVolumeName, MARK, parseDetection, sysctlRoute, tmpfsRoute, type Honoured, type SysctlRoute, type TmpfsRoute } from './detect.js';
import { podFromInspect } from './outcome.js';
import type { PodmanSettings } from './settings.js';

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export class PodmanSession implements PlacementSession {
  private network: RunNetwork | undefined;
  private networkMade = false;
  private interrupted = false;
  private closed = false;
  private honoured: Honoured | undefined;
  private tmpfs: TmpfsRoute = { via: 'none', reason: 'not detected yet' };
  private sysctls: SysctlRoute = { via: 'none', reason: 'not detected yet' };
  private imageId = '';
  private podmanVersion = '';
  private adaptationSummary = '';
  private readonly droppedAnnotations = new Set<string>();
  private portsDropped = false;
  private readonly playMs: number[] = [];
  private readonly downMs: number[] = [];
  /** A sync backstop for an exit that skips close() (a second Ctrl-C): remove the run's pods. */
  private readonly onExit = (): void => this.sweepSync();

  private constructor(
    private readonly options: PlacementOptions,
    private readonly settings: PodmanSettings,
    private readonly dir: string,
    private engine: Engine,
  ) {
    process.on('exit', this.onExit);
  }

  static async open(options: PlacementOptions, settings: PodmanSettings): Promise<PodmanSession> {
    const dir = await mkdtemp(join(tmpdir(), `podipc-podman-${options.runTag}-`));
    const log = (l: string): void => options.log(`podman: ${l}`);
    let session: PodmanSession | undefined;
    try {
      const engine = await prepareEngine('podman', dir, { log: () => {} });
      session = new PodmanSession(options, settings, dir, engine);
      await session.setup(log);
      return session;
    } catch (err) {
      if (session) await session.close();
      else await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private get render(): RenderOptions {
    return {
      runTag: this.options.runTag,
      sysvSlot: this.options.sysvSlot,
      image: this.settings.image,
      imagePullPolicy: 'Never',
      ipcLimits: this.settings.raiseIpcLimits ? RAISED_IPC_LIMITS : undefined,
      devShmBytes: this.settings.devShmBytes,
      // podman applies resources.limits (memory, CFS quota) through the pod's cgroups; requests are ignored.
      resources: { guaranteed: false, cpu: this.options.resources.cpuLimit, memoryBytes: this.options.resources.memoryBytes },
    };
  }

  private async steps(steps: readonly Step[], signal?: AbortSignal): Promise<StepsResult> {
    return runSteps(steps, { signal, env: this.engine.env });
  }

  private async setup(log: (l: string) => void): Promise<void> {
    const version = await this.steps([{ kind: 'run', purpose: 'podman version', argv: [...this.engine.command, 'version', '--format', '{{.Client.Version}}'], timeoutMs: 30_000, capture: 'podman-info' }]);
    if (version.failure) throw new Error(`podman: ${version.failure}`);
    this.podmanVersion = version.captures['podman-info']?.trim() ?? '';

    // The probe image: built from this checkout unless an image of the same sources exists.
    const image = await buildImage({ ...DEFAULT_REQUEST, engine: 'podman', base: this.settings.base, tag: this.settings.image }, { log });
    this.imageId = image.imageId;
    if (image.built) log(`built ${image.tag} in ${(image.timings.totalMs / 1000).toFixed(0)} s (kept for the next run; \`podipc image clean\` removes it)`);

    // What this podman honours: one short pod.
    const marker = podmanAdaptation(readHostLimits(), [`${MARK.conf.name}=${MARK.conf.value}`]);
    const detectEngine = await this.engineWithConf('detect', marker.containersConf);
    const podName = detectionPodName(this.options.runTag);
    const plan = detectionPlan(detectEngine, { runTag: this.options.runTag, yaml: detectionPodYaml(this.options.runTag, this.settings.image), podName, volume: detectionVolumeName(this.options.runTag) });
    const up = await runSteps([...plan.up, ...plan.collect], { env: detectEngine.env });
    const down = await runSteps(plan.down, { env: detectEngine.env });
    if (up.failure) throw new Error(`podman: checking what podman honours failed: ${up.failure}`);
    if (down.failure) log(`warning: ${down.failure}`);
    this.honoured = parseDetection(up.captures['client-log'] ?? '');
    this.tmpfs = tmpfsRoute(this.honoured);
    this.sysctls = sysctlRoute(this.honoured);
    if (this.honoured.uid !== 1000) throw new Error(`podman: the probe image ${this.settings.image} runs as uid ${this.honoured.uid ?? '?'}, not 1000; rebuild it with \`podipc image build --force\``);
    log(describeHonoured(this.honoured, this.settings.raiseIpcLimits));

    // The session's own containers.conf: the host adaptation, plus the raised IPC sysctls
    // when podman ignores a pod spec's.
    const sysctls = this.settings.raiseIpcLimits && this.sysctls.via === 'containers.conf' ? Object.entries(RAISED_IPC_LIMITS).map(([k, v]) => `${k}=${v}`) : [];
    const adaptation = podmanAdaptation(readHostLimits(), sysctls);
    this.adaptationSummary = adaptation.summary;
    if (sysctls.length > 0) log(adaptation.summary); // the image build already said the rest
    this.engine = await this.engineWithConf('run', adaptation.containersConf);
  }

  private async engineWithConf(name: string, conf: string | undefined): Promise<Engine> {
    const env = { ...this.engine.env };
    delete env.CONTAINERS_CONF;
    if (!conf) return { ...this.engine, env };
    const path = join(this.dir, `containers-${name}.conf`);
    await writeFile(path, conf);
    return { ...this.engine, env: { ...env, CONTAINERS_CONF: path } };
  }

  lacks(topology: 'same-pod' | 'cross-pod'): ReadonlyMap<Requirement, string> {
    const lacks = new Map<Requirement, string>();
    if (topology !== 'same-pod') return lacks;
    if (this.tmpfs.via === 'none') lacks.set('volume-tmpfs', this.tmpfs.reason);
    if (this.honoured && this.honoured.devShm.fsType !== 'tmpfs') {
      lacks.set('shared-dev-shm', `the pod's /dev/shm is ${this.honoured.devShm.fsType} here, not tmpfs: POSIX shared memory would measure a file on disk`);
    }
    return lacks;
  }

  runtimeAvailability(runtime: Runtime): Availability {
    if (runtime.id === 'native' && this.honoured && !this.honoured.nativeProbe) {
      return { ok: false, reason: `the probe image ${this.settings.image} has no build/Release/podipc_probe (binding.gyp does not build the native probe in this checkout)` };
    }
    return { ok: true };
  }

  facts(): PlacementFacts {
    const r = this.options.resources;
    const h = this.honoured;
    return {
      isolation: 'podman pods (kube play): an infra container holds the pod network, IPC and UTS namespaces; each side is its own container (runc, own mount and PID namespaces); no kubelet',
      resources: {
        ...(r.cpuLimit !== undefined ? { cpuLimitCores: r.cpuLimit } : {}),
        ...(r.memoryBytes !== undefined ? { memoryBytes: r.memoryBytes } : {}),
        appliedWith: 'the pod spec resources.limits, applied by podman as per-container cgroup limits (memory, CFS quota); requests are ignored',
      },
      details: {
        podmanVersion: this.podmanVersion,
        image: this.settings.image,
        imageId: this.imageId,
        adaptation: this.adaptationSummary,
        tmpfsVolumes: this.tmpfs.via === 'none' ? `none: ${this.tmpfs.reason}` : this.tmpfs.via === 'tmpfs-volume' ? 'podman volumes with tmpfs options (emptyDir {medium: Memory} is not honoured)' : 'emptyDir {medium: Memory}',
        ...(h ? { devShm: `${h.devShm.fsType}${h.devShm.bytes ? `, ${Math.round(h.devShm.bytes / 1_048_576)} MiB` : ''}` } : {}),
        ipcLimits: !this.settings.raiseIpcLimits ? 'kernel defaults (mq mechanisms chunk larger frames)' : this.sysctls.via === 'none' ? `kernel defaults: ${this.sysctls.reason}` : `raised via ${this.sysctls.via}: ${Object.entries(RAISED_IPC_LIMITS).map(([k, v]) => `${k}=${v}`).join(' ')}`,
        ...(this.network ? { crossPodNetwork: `${this.network.name} ${this.network.subnet} (internal; server ${this.network.serverIp}, client ${this.network.clientIp})` } : {}),
        ...(this.droppedAnnotations.size > 0 ? { droppedAnnotations: [...this.droppedAnnotations].join(', ') } : {}),
        ...(this.portsDropped ? { droppedPorts: 'containerPorts (kube play would publish them on the host)' } : {}),
        ...(median(this.playMs) !== undefined ? { kubePlayMsMedian: median(this.playMs), kubeDownMsMedian: median(this.downMs), pairs: this.playMs.length } : {}),
      },
    };
  }

  /** The run's network, made at the first cross-pod pair. */
  private async ensureNetwork(): Promise<RunNetwork> {
    if (this.network) return this.network;
    const listed = await this.steps([listNetworksStep(this.engine)]);
    if (listed.failure) throw new Error(listed.failure);
    const subnet = chooseSubnet(this.options.runTag, takenSubnets(listed.captures['podman-networks']));
    if (!subnet) throw new Error('no free /24 left in 198.19.0.0/16 for the cross-pod network');
    const net = runNetwork(this.options.runTag, subnet);
    this.network = net;
    this.networkMade = true; // before: a half-made network is still swept
    const made = await this.steps([createNetworkStep(this.engine, net, this.options.runTag)]);
    if (made.failure) throw new Error(made.failure);
    this.options.log(`podman: cross-pod network ${net.name} ${net.subnet} (internal: no gateway, no NAT, nothing on the host)`);
    return net;
  }

  async runPair(spec: PairSpec, signal: AbortSignal): Promise<PairOutcome> {
    let network: RunNetwork | undefined;
    try {
      if (spec.topology === 'cross-pod') network = await this.ensureNetwork();
    } catch (err) {
      return { lines: [], failure: `creating the cross-pod network failed: ${(err as Error).message}` };
    }
    const pair = adaptPair(renderPair(pairInput(spec), this.render), {
      runTag: this.options.runTag,
      tmpfs: this.tmpfs,
      sysctls: this.sysctls,
      ...(network ? { network } : {}),
    });
    for (const a of pair.dropped.annotations) this.droppedAnnotations.add(a);
    if (pair.dropped.ports) this.portsDropped = true;
    const plan = pairPlan(this.engine, pair, spec, this.options.runTag);
    // The step runner never throws: every path reaches the kube down below.
    const t0 = Date.now();
    const up = await this.steps(plan.up, signal);
    this.playMs.push(Date.now() - t0);
    // After a failed start the logs still say why (a container that exited at once).
    const collected = await this.steps(up.failure ? plan.collect.filter((s) => s.always) : plan.collect, signal);
    const t1 = Date.now();
    const down = await this.steps(plan.down);
    this.downMs.push(Date.now() - t1);
    if (down.failure) this.options.log(`podman: warning: ${down.failure}`);
    const interrupted = up.interrupted || collected.interrupted || signal.aborted;
    if (interrupted) this.interrupted = true;
    const pod = podFromInspect(collected.captures['podman-inspect'], { server: pair.serverContainer, client: pair.clientContainer });
    return pairOutcome({
      clientLog: collected.captures['client-log'],
      serverLog: collected.captures['server-log'],
      clientPod: pod,
      serverPod: pod,
      stepFailure: up.failure ?? collected.failure,
      interrupted,
    });
  }

  /** Remove everything with the run's label; what is left afterwards is named. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const listed = await this.steps(sweepListSteps(this.engine, this.options.runTag));
      const networks = [...new Set([...(listed.captures['podman-networks'] ?? '').split('\n'), ...(this.networkMade && this.network ? [this.network.name] : [])])].join('\n');
      const remove = sweepRemoveSteps(this.engine, { pods: listed.captures['podman-pods'], volumes: listed.captures['podman-volumes'], networks });
      const removed = await this.steps(remove);
      for (const problem of [removed.failure, ...removed.notes, ...listed.notes]) if (problem) this.options.log(`podman: warning: ${problem}`);
      const leftovers = remove.filter((s) => !s.purpose.startsWith('remove the network'));
      if (leftovers.length > 0) this.options.log(`podman: removed what ${this.interrupted ? 'the interrupted pair' : 'a failed step'} left: ${leftovers.map((s) => s.purpose.replace(/^remove the /, '')).join('; ')}`);
    } finally {
      process.off('exit', this.onExit);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private sweepSync(): void {
    if (this.closed) return;
    const podman = (...args: string[]): string => {
      try {
        return execFileSync(this.engine.command[0]!, [...this.engine.command.slice(1), ...args], { env: this.engine.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
      } catch {
        return '';
      }
    };
    const filter = `label=${runLabel(this.options.runTag)}`;
    const pods = podman('pod', 'ps', '--filter', filter, '--format', '{{.Name}}').split('\n').filter(Boolean);
    if (pods.length > 0) podman('pod', 'rm', '--force', '--time', '0', ...pods);
    const volumes = podman('volume', 'ls', '--filter', filter, '--format', '{{.Name}}').split('\n').filter(Boolean);
    if (volumes.length > 0) podman('volume', 'rm', '--force', ...volumes);
    if (this.network) podman('network', 'rm', '--force', this.network.name);
  }
}
