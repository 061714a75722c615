/**
 * Before a `--placement k8s` run creates anything in a cluster it did not make: is the
 * context there, does the cluster answer, may this user create and delete what a run
 * creates, will the cluster admit the run's namespace at the Pod Security level the run
 * needs (a server-side dry run: admission webhooks and policy engines answer it too), do
 * the chosen nodes exist and take pods, and - when raised IPC limits are asked for - does
 * the kubelet allow those unsafe sysctls. Plans and verdicts are pure; session.ts runs them.
 */
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import { toYaml } from '../../k8s/render.js';
import { kubectlIn } from '../kind/commands.js';
import type { RunStep } from '../kind/steps.js';

/** What a run creates and deletes, in the run's namespace and cluster-wide. */
export const VERBS: ReadonlyArray<{ verb: string; resource: string; subresource?: string; namespaced: boolean }> = [
  { verb: 'create', resource: 'namespaces', namespaced: false },
  { verb: 'delete', resource: 'namespaces', namespaced: false },
  { verb: 'create', resource: 'pods', namespaced: true },
  { verb: 'delete', resource: 'pods', namespaced: true },
  { verb: 'get', resource: 'pods', subresource: 'log', namespaced: true },
  { verb: 'create', resource: 'services', namespaced: true },
];

export function canIKey(v: { verb: string; resource: string; subresource?: string }): string {
  return `${v.verb} ${v.resource}${v.subresource ? `/${v.subresource}` : ''}`;
}

/** The read-only checks; the configz step per node comes after the nodes are known. */
export function checksPlan(context: string, namespace: INamespace): RunStep[] {
  const ns = namespace.metadata?.name ?? '';
  return [
    { kind: 'run', purpose: `find the context ${context} in the kubeconfig`, argv: ['kubectl', 'config', 'get-contexts', context, '--output', 'name'], timeoutMs: 30_000 },
    { kind: 'run', purpose: `ask the cluster of ${context} for its version`, argv: kubectlIn(context, 'version', '--output', 'json'), timeoutMs: 30_000, capture: 'k8s-version' },
    { kind: 'run', purpose: 'list the nodes', argv: kubectlIn(context, 'get', 'nodes', '--output', 'json'), timeoutMs: 30_000, capture: 'nodes' },
    {
      kind: 'run',
      purpose: 'ask what this user may do',
      // One call: `auth can-i --list` is not scoped to a verb; asking each is clearer and
      // `can-i` exits 1 for "no", so the answers are read from stdout, never the exit code.
      argv: ['sh', '-c', VERBS.map((v) => `printf '%s %s\\n' '${canIKey(v)}' "$(kubectl --context "$1" auth can-i ${v.verb} ${v.resource}${v.subresource ? ` --subresource=${v.subresource}` : ''}${v.namespaced ? ` --namespace ${ns}` : ''} 2>/dev/null || true)"`).join('; '), 'can-i', context],
      timeoutMs: 60_000,
      capture: 'can-i',
    },
    {
      kind: 'run',
      purpose: `dry-run the run's namespace ${ns} (Pod Security ${namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce'] ?? '?'}) on the server`,
      argv: kubectlIn(context, 'create', '--dry-run=server', '--filename', '-', '--output', 'name'),
      stdin: toYaml([namespace]),
      timeoutMs: 60_000,
      optional: true,
    },
  ];
}

export function configzStep(context: string, node: string): RunStep {
  return {
    kind: 'run',
    purpose: `read the kubelet configuration of ${node} (allowed unsafe sysctls)`,
    argv: kubectlIn(context, 'get', '--raw', `/api/v1/nodes/${node}/proxy/configz`),
    timeoutMs: 30_000,
    capture: 'kubelet-config',
    optional: true,
  };
}

export interface NodeInfo {
  name: string;
  ready: boolean;
  /** Not cordoned and no NoSchedule/NoExecute taint. */
  schedulable: boolean;
}

export function parseNodes(json: string | undefined): NodeInfo[] {
  let items: unknown[] = [];
  try {
    items = ((JSON.parse(json ?? '{}') as { items?: unknown[] }).items ?? []) as unknown[];
  } catch {
    return [];
  }
  return items.map((raw) => {
    const n = raw as { metadata?: { name?: string }; spec?: { unschedulable?: boolean; taints?: Array<{ effect?: string }> }; status?: { conditions?: Array<{ type?: string; status?: string }> } };
    const ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const tainted = (n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    return { name: n.metadata?.name ?? '', ready, schedulable: !n.spec?.unschedulable && !tainted };
  });
}

export interface NodeChoice {
  a: string | undefined;
  b: string | undefined;
  problems: string[];
  notes: string[];
}

/** --node-a/--node-b, or the first two nodes that take pods; cross-pod is cross-node when they differ. */
export function chooseNodes(nodes: readonly NodeInfo[], wanted: { nodeA: string | undefined; nodeB: string | undefined }): NodeChoice {
  const problems: string[] = [];
  const notes: string[] = [];
  const usable = nodes.filter((n) => n.ready && n.schedulable);
  const pick = (flag: string, name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const node = nodes.find((n) => n.name === name);
    if (!node) problems.push(`${flag} ${name}: no such node (nodes: ${nodes.map((n) => n.name).join(', ') || 'none'})`);
    else if (!node.ready) problems.push(`${flag} ${name}: the node is not Ready`);
    else if (!node.schedulable) notes.push(`${flag} ${name}: the node is cordoned or tainted NoSchedule; pods may not be admitted there`);
    return name;
  };
  let a = pick('--node-a', wanted.nodeA);
  let b = pick('--node-b', wanted.nodeB);
  if (usable.length === 0 && (a === undefined || b === undefined)) {
    problems.push(`no node is Ready and schedulable (${nodes.map((n) => `${n.name}: ${n.ready ? 'Ready' : 'not Ready'}${n.schedulable ? '' : ', cordoned/tainted'}`).join('; ') || 'no nodes'})`);
    return { a, b, problems, notes };
  }
  a ??= usable.find((n) => n.name !== b)?.name ?? usable[0]!.name;
  b ??= usable.find((n) => n.name !== a)?.name ?? a;
  if (a === b) notes.push(`cross-pod pods share the node ${a}${usable.length < 2 ? ' (the only schedulable node)' : ''}: cross-pod is not cross-node`);
  return { a, b, problems, notes };
}

/** `yes`/`no` per verb from the can-i step; a missing answer counts as no. */
export function parseCanI(text: string | undefined): Map<string, boolean> {
  const answers = new Map<string, boolean>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\S+ \S+) (\S*)$/.exec(line.trim());
    if (m) answers.set(m[1]!, m[2] === 'yes');
  }
  return answers;
}

/** kubelet configz -> its allowedUnsafeSysctls (undefined when it could not be read). */
export function allowedUnsafeSysctls(configz: string | undefined): string[] | undefined {
  if (!configz) return undefined;
  try {
    const c = JSON.parse(configz) as { kubeletconfig?: { allowedUnsafeSysctls?: string[] } };
    return c.kubeletconfig ? (c.kubeletconfig.allowedUnsafeSysctls ?? []) : undefined;
  } catch {
    return undefined;
  }
}

/** kubelet patterns: an exact name, or a prefix ending in `*` (`kernel.msg*`). */
export function sysctlAllowed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

export interface ChecksEvidence {
  context: string;
  canI: string | undefined;
  /** The dry run's failure message, if it failed. */
  dryRunFailure: string | undefined;
  /** Raised IPC sysctls the pods will set (empty when not raising). */
  sysctls: readonly string[];
  /** The allowed unsafe sysctls of each node that will run them; undefined = unreadable. */
  allowedByNode: ReadonlyMap<string, string[] | undefined>;
  nodes: NodeChoice;
}

export interface ChecksVerdict {
  problems: string[];
  notes: string[];
}

/** Everything that would make the run fail in the cluster, named with its fix. */
export function checksVerdict(e: ChecksEvidence): ChecksVerdict {
  const problems = [...e.nodes.problems];
  const notes = [...e.nodes.notes];
  const answers = parseCanI(e.canI);
  const denied = [...answers].filter(([, yes]) => !yes).map(([k]) => k);
  const unanswered = VERBS.map(canIKey).filter((k) => !answers.has(k));
  if (denied.length + unanswered.length > 0) {
    problems.push(`this user may not ${[...denied, ...unanswered].join(', ')} in ${e.context} (\`kubectl --context ${e.context} auth can-i ...\`); a run creates a namespace with pods and Services and deletes it afterwards`);
  }
  if (e.dryRunFailure) {
    problems.push(`the cluster would not admit the run's namespace (a server-side dry run): ${e.dryRunFailure}`);
  }
  for (const [node, allowed] of e.allowedByNode) {
    if (e.sysctls.length === 0) break;
    if (allowed === undefined) {
      notes.push(`could not read the kubelet configuration of ${node}; if it does not allow ${e.sysctls.join(', ')}, the IPC pods fail with SysctlForbidden`);
      continue;
    }
    const refused = e.sysctls.filter((s) => !sysctlAllowed(s, allowed));
    if (refused.length > 0) {
      problems.push(`the kubelet on ${node} does not allow the unsafe sysctls ${refused.join(', ')} (allowedUnsafeSysctls: ${allowed.join(', ') || 'none'}): allow them (kubelet --allowed-unsafe-sysctls 'fs.mqueue.*,kernel.msg*') or run without PODIPC_K8S_RAISE_IPC_LIMITS`);
    }
  }
  return { problems, notes };
}
