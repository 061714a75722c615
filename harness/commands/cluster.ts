/**
 * `podipc cluster up|down`: create or delete the kind cluster podipc runs in. `up` leaves
 * an existing cluster as it is; `podipc run --placement kind` creates the cluster too
 * when it is missing, so `up` is for preparing ahead (CI, a pinned cluster).
 */
import type { CommandIo } from '../command-io.js';
import { switchFlag, valueFlag } from '../flags.js';
import { CLUSTER_NAME, KUBE_CONTEXT } from '../k8s/names.js';
import { PACKAGE_ROOT } from '../paths.js';
import { clusterDownPlan, configPath, ensureClusterPlan, listClustersStep, parseClusters } from '../placements/kind/commands.js';
import { runSteps } from '../placements/kind/exec.js';
import { checkPrerequisites } from '../placements/kind/prereq.js';
import { kindSettings } from '../placements/kind/settings.js';
import { defineCommand } from './command.js';

/** What up and down share: the settings and prerequisites check, and whether the cluster exists. Undefined = stop with `code`. */
async function prepare(sub: 'up' | 'down', io: CommandIo, env: NodeJS.ProcessEnv): Promise<{ exists: boolean; settings: ReturnType<typeof kindSettings> & { ok: true } } | { code: number }> {
  const settings = kindSettings(env);
  if (!settings.ok) {
    io.stderr(`podipc: ${settings.reason}\n`);
    return { code: 2 };
  }
  const ready = await checkPrerequisites(env);
  if (!ready.ok) {
    io.stderr(`podipc: cluster ${sub}: ${ready.reason}\n`);
    return { code: 2 };
  }
  const listed = await runSteps([listClustersStep()], { env });
  if (listed.failure) {
    io.stderr(`podipc: ${listed.failure}\n`);
    return { code: 1 };
  }
  return { exists: parseClusters(listed.captures.clusters).includes(CLUSTER_NAME), settings };
}

const log = (io: CommandIo) => (line: string): void => io.stderr(`podipc: ${line}\n`);

export const clusterUpCommand = defineCommand({
  name: 'cluster up',
  summary: `Create the kind cluster '${CLUSTER_NAME}' (k8s/kind-config.yaml) unless it exists; 'podipc run --placement kind' creates it too when missing.`,
  flags: {
    pinned: switchFlag('use k8s/kind-config-pinned.yaml: the kubelet\'s static CPU manager, for --pin runs (same as PODIPC_KIND_PINNED=1; needs 4 or more cores)'),
    'node-image': valueFlag({ metavar: 'IMAGE', help: 'a kindest/node image, e.g. an older Kubernetes on a cgroup v1 host', parse: (t) => t }),
  },
  async run({ flags }, io) {
    const env = process.env;
    const ready = await prepare('up', io, env);
    if ('code' in ready) return ready.code;
    const { settings } = ready.settings;
    const plan = ensureClusterPlan(ready.exists ? [CLUSTER_NAME] : [], {
      root: PACKAGE_ROOT,
      configFile: configPath(PACKAGE_ROOT, flags.pinned || settings.pinnedCluster),
      nodeImage: flags['node-image'] ?? settings.nodeImage,
      image: settings.image,
    });
    if (plan.length === 0) {
      io.stdout(`podipc: the kind cluster '${CLUSTER_NAME}' already exists (kubectl context ${KUBE_CONTEXT}); 'podipc cluster down' first to recreate it\n`);
      return 0;
    }
    const r = await runSteps(plan, { log: log(io), env });
    if (r.failure) {
      io.stderr(`podipc: ${r.failure}\n`);
      return 1;
    }
    io.stdout(`podipc: the kind cluster '${CLUSTER_NAME}' is up (kubectl context ${KUBE_CONTEXT}); run 'npm run bench -- --placement kind'\n`);
    return 0;
  },
});

export const clusterDownCommand = defineCommand({
  name: 'cluster down',
  summary: `Delete the kind cluster '${CLUSTER_NAME}' and everything in it.`,
  flags: {},
  async run(_input, io) {
    const env = process.env;
    const ready = await prepare('down', io, env);
    if ('code' in ready) return ready.code;
    if (!ready.exists) {
      io.stdout(`podipc: there is no kind cluster '${CLUSTER_NAME}'; nothing to delete\n`);
      return 0;
    }
    const r = await runSteps(clusterDownPlan(), { log: log(io), env });
    if (r.failure) {
      io.stderr(`podipc: ${r.failure}\n`);
      return 1;
    }
    io.stdout(`podipc: deleted the kind cluster '${CLUSTER_NAME}'\n`);
    return 0;
  },
});
