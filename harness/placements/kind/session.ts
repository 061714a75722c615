/**
 * A kind run's session: cluster, image, namespace, then one pod (pair) at a time. See
 * `../kind.ts` for the lifecycle; every command comes from the plans in `commands.ts`.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_NAME, KUBE_CONTEXT, namespaceName } from '../../k8s/names.js';
import { RAISED_IPC_LIMITS, renderNamespace, type RenderOptions } from '../../k8s/render.js';
import type { PlacementOptions, PlacementSession } from '../placement.js';
import { PACKAGE_ROOT } from '../../paths.js';
import type { PlacementFacts } from '../../../core/results.js';
import {
  configPath,
  ensureClusterPlan,
  factsPlan,
  imagePlan,
  listClustersStep,
  namespacePlan,
  parseClusters,
  type ClusterSettings,
} from './commands.js';
import { runSteps } from './exec.js';
import { clusterFacts } from './facts.js';
import { ClusterSession } from './cluster-pair.js';
import type { KindSettings } from './settings.js';

export function renderOptionsFor(options: PlacementOptions, settings: KindSettings): RenderOptions {
  return {
    runTag: options.runTag,
    sysvSlot: options.sysvSlot,
    image: settings.image,
    imagePullPolicy: 'Never',
    ipcLimits: settings.raiseIpcLimits ? RAISED_IPC_LIMITS : undefined,
    devShmBytes: settings.devShmBytes,
    resources: {
      // kind cannot pick CPUs by number; a Guaranteed pod with whole CPUs is what the
      // static CPU manager pins, to cores of its choosing.
      guaranteed: settings.pinnedCluster,
      cpu: options.resources.cpuLimit,
      memoryBytes: options.resources.memoryBytes,
    },
  };
}

class KindSession extends ClusterSession {
  createdCluster = false;

  constructor(
    options: PlacementOptions,
    private readonly settings: KindSettings,
    render: RenderOptions,
  ) {
    super(options, render, 'kind', KUBE_CONTEXT, settings.teardown);
  }

  /** Everything before the first pair; throws with the failing step's message. */
  async setup(cluster: ClusterSettings, existing: readonly string[]): Promise<void> {
    const create = ensureClusterPlan(existing, cluster);
    if (create.length > 0) {
      this.log(`creating the kind cluster '${CLUSTER_NAME}' (${cluster.configFile}); this takes a minute or two`);
      const created = await runSteps(create, { log: (l) => this.log(l) });
      if (created.failure) throw new Error(`kind: ${created.failure}`);
      this.createdCluster = true;
    } else {
      this.log(`using the existing cluster '${CLUSTER_NAME}' (kubectl context ${KUBE_CONTEXT})`);
      if (this.settings.pinnedCluster || this.settings.nodeImage) {
        this.log('PODIPC_KIND_PINNED / PODIPC_KIND_NODE_IMAGE apply when the cluster is created; run `podipc cluster down` first to change them');
      }
    }
    const image = await runSteps(imagePlan(cluster, join(tmpdir(), `podipc-${this.options.runTag}-image.tar`)), { log: (l) => this.log(l) });
    if (image.failure) throw new Error(`kind: ${image.failure}`);
    const facts = await runSteps(factsPlan());
    if (facts.failure) throw new Error(`kind: ${facts.failure}`);
    this.cluster = clusterFacts({ ...image.captures, ...facts.captures });
    for (const note of [...image.notes, ...facts.notes]) this.log(`note: ${note}`);
    if (this.render.resources.guaranteed && this.cluster.cpuManagerPolicy !== 'static') {
      this.log(`PODIPC_KIND_PINNED: pods get Guaranteed QoS, but the kubelet's CPU manager policy is '${this.cluster.cpuManagerPolicy ?? 'unknown'}', so no core is exclusive; create the cluster with PODIPC_KIND_PINNED=1 (podipc cluster down; PODIPC_KIND_PINNED=1 podipc cluster up)`);
    }
    // Marked before the apply: a half-finished apply still leaves something to delete.
    this.namespaceCreated = true;
    const ns = await runSteps(namespacePlan(renderNamespace(this.render)));
    if (ns.failure) throw new Error(`kind: ${ns.failure}`);
  }

  facts(): PlacementFacts {
    const { resources } = this.render;
    return {
      isolation: 'real pods on a kind node: containerd, the kubelet, a CNI; the same pod model as any cluster',
      resources: this.appliedResources(resources.guaranteed ? 'pod resources: Guaranteed QoS (whole CPUs, requests = limits) for the static CPU manager' : 'pod resources.limits (Burstable QoS)'),
      ...(this.cluster.k8sVersion ? { k8sVersion: this.cluster.k8sVersion } : {}),
      details: {
        cluster: CLUSTER_NAME,
        context: KUBE_CONTEXT,
        namespace: namespaceName(this.options.runTag),
        createdCluster: this.createdCluster,
        ...(this.cluster.kindVersion ? { kindVersion: this.cluster.kindVersion } : {}),
        ...(this.cluster.node ? { node: this.cluster.node } : {}),
        ...(this.cluster.cpuManagerPolicy ? { cpuManagerPolicy: this.cluster.cpuManagerPolicy } : {}),
        ...(this.cluster.allowedUnsafeSysctls ? { allowedUnsafeSysctls: this.cluster.allowedUnsafeSysctls } : {}),
        image: this.settings.image,
        ...(this.cluster.imageId ? { imageId: this.cluster.imageId } : {}),
        ipcLimits: this.render.ipcLimits ?? 'kernel defaults (mq mechanisms chunk larger frames)',
        devShm: this.render.devShmBytes ? `emptyDir {medium: Memory} of ${this.render.devShmBytes / 1_048_576} MiB` : 'the runtime default (containerd: 64 MiB per pod)',
        qos: resources.guaranteed ? 'Guaranteed (whole CPUs, requests = limits)' : 'Burstable',
      },
    };
  }

  protected override closing(): void {
    if (this.settings.teardown) this.log(`--teardown: deleting the cluster '${CLUSTER_NAME}'`);
  }
}

export async function openKindSession(options: PlacementOptions, settings: KindSettings): Promise<PlacementSession> {
  const cluster: ClusterSettings = {
    root: PACKAGE_ROOT,
    configFile: configPath(PACKAGE_ROOT, settings.pinnedCluster),
    nodeImage: settings.nodeImage,
    image: settings.image,
  };
  const session = new KindSession(options, settings, renderOptionsFor(options, settings));
  try {
    const listed = await runSteps([listClustersStep()]);
    if (listed.failure) throw new Error(`kind: ${listed.failure}`);
    await session.setup(cluster, parseClusters(listed.captures.clusters));
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}
