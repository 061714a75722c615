/**
 * A `--placement k8s` session: a cluster the user already has, named by its kubeconfig
 * context. Nothing is created until the checks (checks.ts) pass; then, as on kind, one
 * namespace per run, one pair at a time (kind/cluster-pair.ts), the namespace deleted at
 * the end (also on Ctrl-C). The cluster itself is never touched beyond that namespace.
 */
import type { PlacementFacts } from '../../../core/results.js';
import { PrerequisiteError } from '../../availability.js';
import type { ClusterTarget } from '../../config.js';
import { namespaceName } from '../../k8s/names.js';
import { RAISED_IPC_LIMITS, renderNamespace, type RenderOptions } from '../../k8s/render.js';
import { factsPlan, namespacePlan } from '../kind/commands.js';
import { ClusterSession } from '../kind/cluster-pair.js';
import { runSteps } from '../kind/exec.js';
import { clusterFacts } from '../kind/facts.js';
import type { PlacementOptions, PlacementSession } from '../placement.js';
import { allowedUnsafeSysctls, checksPlan, checksVerdict, chooseNodes, configzStep, parseNodes, type NodeChoice } from './checks.js';
import type { K8sSettings } from './settings.js';

export function k8sRenderOptions(options: PlacementOptions, settings: K8sSettings, nodes: { a: string | undefined; b: string | undefined } | undefined): RenderOptions {
  return {
    runTag: options.runTag,
    sysvSlot: options.sysvSlot,
    image: settings.image,
    imagePullPolicy: settings.pullPolicy,
    ipcLimits: settings.raiseIpcLimits ? RAISED_IPC_LIMITS : undefined,
    devShmBytes: undefined,
    resources: { guaranteed: false, cpu: options.resources.cpuLimit, memoryBytes: options.resources.memoryBytes },
    nodes,
  };
}

/** The checks, then the verdict: a list of problems means nothing may be created. */
export async function checkCluster(target: ClusterTarget, options: PlacementOptions, settings: K8sSettings): Promise<{ nodes: NodeChoice; notes: string[]; captures: Record<string, string | undefined> }> {
  const namespace = renderNamespace(k8sRenderOptions(options, settings, undefined));
  const [context, version, ...rest] = checksPlan(target.context, namespace);
  // The first two decide whether the others can say anything.
  const reach = await runSteps([context!, version!]);
  if (reach.failure) {
    const missing = reach.failure.startsWith(context!.purpose);
    throw new PrerequisiteError(
      missing
        ? `--context ${target.context}: no such context in the kubeconfig (\`kubectl config get-contexts\` lists them; KUBECONFIG selects the file). Nothing was created.`
        : `--context ${target.context}: the cluster does not answer: ${reach.failure}. Nothing was created.`,
    );
  }
  const checks = await runSteps(rest);
  if (checks.failure) throw new PrerequisiteError(`--context ${target.context}: ${checks.failure}. Nothing was created.`);
  const nodes = chooseNodes(parseNodes(checks.captures.nodes), target);
  const sysctls = settings.raiseIpcLimits ? Object.keys(RAISED_IPC_LIMITS) : [];
  const allowedByNode = new Map<string, string[] | undefined>();
  if (sysctls.length > 0 && nodes.a) {
    const configz = await runSteps([configzStep(target.context, nodes.a)]);
    allowedByNode.set(nodes.a, allowedUnsafeSysctls(configz.captures['kubelet-config']));
  }
  const dryRun = checks.notes.find((n) => n.startsWith('dry-run'));
  const verdict = checksVerdict({ context: target.context, canI: checks.captures['can-i'], dryRunFailure: dryRun?.replace(/^.*?failed \(`[^`]*`\): /, ''), sysctls, allowedByNode, nodes });
  if (verdict.problems.length > 0) {
    const list = verdict.problems.length === 1 ? verdict.problems[0]! : verdict.problems.map((p, i) => `(${i + 1}) ${p}`).join('; ');
    throw new PrerequisiteError(`--placement k8s --context ${target.context}: ${list}. Nothing was created.`);
  }
  return { nodes, notes: verdict.notes, captures: { ...reach.captures, ...checks.captures } };
}

class K8sSession extends ClusterSession {
  constructor(
    options: PlacementOptions,
    private readonly target: ClusterTarget,
    private readonly settings: K8sSettings,
    private readonly nodes: NodeChoice,
    render: RenderOptions,
  ) {
    // The cluster is the user's: only the run's namespace is ever deleted.
    super(options, render, 'k8s', target.context, false);
  }

  async setup(notes: readonly string[]): Promise<void> {
    for (const n of notes) this.log(`note: ${n}`);
    const facts = await runSteps(factsPlan({ context: this.target.context, configzNode: this.nodes.a, kind: false }));
    if (facts.failure) throw new Error(`k8s: ${facts.failure}`);
    this.cluster = clusterFacts(facts.captures);
    this.log(`context ${this.target.context}: Kubernetes ${this.cluster.k8sVersion ?? '?'}, pods on ${this.nodes.a}${this.nodes.b !== this.nodes.a ? ` and ${this.nodes.b} (cross-pod is cross-node)` : ''}, image ${this.settings.image} (${this.settings.pullPolicy})`);
    this.namespaceCreated = true; // before the apply: a half-finished apply still leaves something to delete
    const ns = await runSteps(namespacePlan(renderNamespace(this.render), this.target.context));
    if (ns.failure) throw new Error(`k8s: ${ns.failure}`);
  }

  facts(): PlacementFacts {
    return {
      isolation: `real pods on the cluster of context ${this.target.context}: its container runtime, kubelet and CNI`,
      resources: this.appliedResources('pod resources.limits (Burstable QoS)'),
      ...(this.cluster.k8sVersion ? { k8sVersion: this.cluster.k8sVersion } : {}),
      details: {
        context: this.target.context,
        namespace: namespaceName(this.options.runTag),
        nodeA: this.nodes.a,
        nodeB: this.nodes.b,
        crossNode: this.nodes.a !== this.nodes.b,
        ...(this.cluster.node ? { node: this.cluster.node } : {}),
        ...(this.cluster.allowedUnsafeSysctls ? { allowedUnsafeSysctls: this.cluster.allowedUnsafeSysctls } : {}),
        image: this.settings.image,
        imagePullPolicy: this.settings.pullPolicy,
        ipcLimits: this.render.ipcLimits ?? 'kernel defaults (mq mechanisms chunk larger frames)',
      },
    };
  }

}

export async function openK8sSession(options: PlacementOptions, settings: K8sSettings): Promise<PlacementSession> {
  const target = options.cluster;
  if (!target) throw new PrerequisiteError('--placement k8s needs --context NAME: the kubeconfig context of the cluster to run in');
  const checked = await checkCluster(target, options, settings);
  const session = new K8sSession(options, target, settings, checked.nodes, k8sRenderOptions(options, settings, { a: checked.nodes.a, b: checked.nodes.b }));
  try {
    await session.setup(checked.notes);
  } catch (err) {
    await session.close();
    throw err;
  }
  return session;
}
