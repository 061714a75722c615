/**
 * `podipc cluster up|down`: create or delete the kind cluster podipc runs in. `up` leaves
 * an existing cluster as it is; `podipc run --placement kind` creates the cluster too
 * when it is missing, so `up` is for preparing ahead (CI, a pinned cluster).
 */
import { parseArgs } from 'node:util';
import { stderr, stdout } from 'node:process';
import { CLUSTER_NAME, KUBE_CONTEXT } from '../k8s/names.js';
import { PACKAGE_ROOT } from '../paths.js';
import { clusterDownPlan, configPath, ensureClusterPlan, listClustersStep, parseClusters } from '../placements/kind/commands.js';
import { runSteps } from '../placements/kind/exec.js';
import { checkPrerequisites } from '../placements/kind/prereq.js';
import { kindSettings } from '../placements/kind/settings.js';

export const CLUSTER_USAGE = `Usage: podipc cluster up [--pinned] [--node-image IMAGE]
       podipc cluster down

  up                 create the kind cluster '${CLUSTER_NAME}' (k8s/kind-config.yaml) unless it exists
  --pinned           use k8s/kind-config-pinned.yaml: the kubelet's static CPU manager, for --pin runs
                     (same as PODIPC_KIND_PINNED=1; needs 4 or more cores)
  --node-image IMG   a kindest/node image, e.g. an older Kubernetes on a cgroup v1 host
  down               delete the cluster and everything in it`;

export async function clusterCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    stdout.write(CLUSTER_USAGE + '\n');
    return 0;
  }
  if (sub !== 'up' && sub !== 'down') {
    stderr.write(`podipc: ${sub === undefined ? 'missing' : `unknown`} cluster command${sub ? ` '${sub}'` : ''}. Use 'podipc cluster up' or 'podipc cluster down'.\n`);
    return 2;
  }
  let values: { pinned?: boolean | undefined; 'node-image'?: string | undefined };
  try {
    // `down` takes no flags: parse with none, so any flag is reported.
    const opts = { pinned: { type: 'boolean' }, 'node-image': { type: 'string' } } as const;
    ({ values } = parseArgs({ args: [...rest], options: sub === 'up' ? opts : {}, strict: true, allowPositionals: false }));
  } catch (err) {
    stderr.write(`podipc: ${(err as Error).message.replace(/\. To specify.*$/s, '')}. Run 'podipc cluster --help'.\n`);
    return 2;
  }
  const settings = kindSettings(env);
  if (!settings.ok) {
    stderr.write(`podipc: ${settings.reason}\n`);
    return 2;
  }
  const ready = await checkPrerequisites(env);
  if (!ready.ok) {
    stderr.write(`podipc: cluster ${sub}: ${ready.reason}\n`);
    return 2;
  }
  const log = (line: string): void => void stderr.write(`podipc: ${line}\n`);
  const listed = await runSteps([listClustersStep()], { env });
  if (listed.failure) {
    stderr.write(`podipc: ${listed.failure}\n`);
    return 1;
  }
  const exists = parseClusters(listed.captures.clusters).includes(CLUSTER_NAME);

  if (sub === 'down') {
    if (!exists) {
      stdout.write(`podipc: there is no kind cluster '${CLUSTER_NAME}'; nothing to delete\n`);
      return 0;
    }
    const r = await runSteps(clusterDownPlan(), { log, env });
    if (r.failure) {
      stderr.write(`podipc: ${r.failure}\n`);
      return 1;
    }
    stdout.write(`podipc: deleted the kind cluster '${CLUSTER_NAME}'\n`);
    return 0;
  }

  const pinned = Boolean(values.pinned) || settings.settings.pinnedCluster;
  const nodeImage = values['node-image'] ?? settings.settings.nodeImage;
  const plan = ensureClusterPlan(exists ? [CLUSTER_NAME] : [], { root: PACKAGE_ROOT, configFile: configPath(PACKAGE_ROOT, pinned), nodeImage, image: settings.settings.image });
  if (plan.length === 0) {
    stdout.write(`podipc: the kind cluster '${CLUSTER_NAME}' already exists (kubectl context ${KUBE_CONTEXT}); 'podipc cluster down' first to recreate it\n`);
    return 0;
  }
  const r = await runSteps(plan, { log, env });
  if (r.failure) {
    stderr.write(`podipc: ${r.failure}\n`);
    return 1;
  }
  stdout.write(`podipc: the kind cluster '${CLUSTER_NAME}' is up (kubectl context ${KUBE_CONTEXT}); run 'npm run bench -- --placement kind'\n`);
  return 0;
}
