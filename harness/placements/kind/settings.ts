/**
 * kind-specific knobs. `podipc run` has flags for what every placement shares (resources,
 * --teardown); the rest are environment variables, read and validated here, once, when
 * the placement is checked, so a bad value is exit 2 before anything is created.
 *
 *   PODIPC_KIND_TEARDOWN=1          delete the cluster after the run (same as --teardown)
 *   PODIPC_KIND_PINNED=1            create the cluster with the static CPU manager (k8s/kind-config-pinned.yaml)
 *   PODIPC_KIND_NODE_IMAGE=IMG      kindest/node image for a new cluster (e.g. an older Kubernetes on a cgroup v1 host)
 *   PODIPC_KIND_RAISE_IPC_LIMITS=1  raise the IPC sysctls in pods of IPC mechanisms (unsafe sysctls; see k8s/README.md)
 *   PODIPC_KIND_DEV_SHM_MIB=N       mount an N MiB emptyDir {medium: Memory} at /dev/shm instead of the runtime's 64 MiB
 *   PODIPC_KIND_IMAGE=NAME:TAG      the probe image's name (default podipc-probe:local)
 */
import { imageWithTag, mibBytes } from '../env-settings.js';

export interface KindSettings {
  teardown: boolean;
  pinnedCluster: boolean;
  nodeImage: string | undefined;
  raiseIpcLimits: boolean;
  devShmBytes: number | undefined;
  image: string;
}

export type SettingsResult = { ok: true; settings: KindSettings } | { ok: false; reason: string };

function flag(env: NodeJS.ProcessEnv, name: string): boolean | string {
  const v = env[name];
  if (v === undefined || v === '' || v === '0' || v.toLowerCase() === 'false') return false;
  if (v === '1' || v.toLowerCase() === 'true') return true;
  return `${name}='${v}' is not 1 or 0; set ${name}=1 to turn it on`;
}

export function kindSettings(env: NodeJS.ProcessEnv, teardownFlag = false): SettingsResult {
  const errors: string[] = [];
  const bool = (name: string): boolean => {
    const v = flag(env, name);
    if (typeof v === 'string') {
      errors.push(v);
      return false;
    }
    return v;
  };
  const teardown = bool('PODIPC_KIND_TEARDOWN') || teardownFlag;
  const pinnedCluster = bool('PODIPC_KIND_PINNED');
  const raiseIpcLimits = bool('PODIPC_KIND_RAISE_IPC_LIMITS');
  const devShmBytes = mibBytes(env, 'PODIPC_KIND_DEV_SHM_MIB', errors);
  const image = imageWithTag(env, 'PODIPC_KIND_IMAGE', errors);
  const nodeImage = env.PODIPC_KIND_NODE_IMAGE || undefined;
  if (errors.length > 0) return { ok: false, reason: errors.join('; ') };
  return { ok: true, settings: { teardown, pinnedCluster, nodeImage, raiseIpcLimits, devShmBytes, image } };
}
