/**
 * podman-specific knobs, as environment variables (the flags every placement shares are
 * `podipc run` flags), read and validated once when the placement is checked:
 *
 *   PODIPC_PODMAN_IMAGE=NAME:TAG      the probe image (default podipc-probe:local), built or
 *                                     rebuilt by the run when missing or older than the sources
 *   PODIPC_PODMAN_BASE=offline|official  how a build gets its base images (see `podipc image build`)
 *   PODIPC_PODMAN_RAISE_IPC_LIMITS=1  raise the IPC sysctls in the pods (as PODIPC_KIND_RAISE_IPC_LIMITS)
 *   PODIPC_PODMAN_DEV_SHM_MIB=N       an N MiB tmpfs at /dev/shm instead of the runtime's 64 MB
 */
import { DEFAULT_IMAGE } from '../../k8s/names.js';
import type { BaseKind } from '../../image/build.js';

export interface PodmanSettings {
  image: string;
  base: BaseKind;
  raiseIpcLimits: boolean;
  devShmBytes: number | undefined;
}

export type PodmanSettingsResult = { ok: true; settings: PodmanSettings } | { ok: false; reason: string };

export function podmanSettings(env: NodeJS.ProcessEnv): PodmanSettingsResult {
  const errors: string[] = [];
  const image = env.PODIPC_PODMAN_IMAGE || DEFAULT_IMAGE;
  if (!/^[a-z0-9]+(?:[._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(image)) {
    errors.push(`PODIPC_PODMAN_IMAGE='${image}' is not an image name with a tag, e.g. podipc-probe:local`);
  }
  const base = env.PODIPC_PODMAN_BASE || 'offline';
  if (base !== 'offline' && base !== 'official') errors.push(`PODIPC_PODMAN_BASE='${base}' is not offline or official`);
  const raise = env.PODIPC_PODMAN_RAISE_IPC_LIMITS ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(raise.toLowerCase())) errors.push(`PODIPC_PODMAN_RAISE_IPC_LIMITS='${raise}' is not 1 or 0`);
  let devShmBytes: number | undefined;
  const shm = env.PODIPC_PODMAN_DEV_SHM_MIB;
  if (shm !== undefined && shm !== '') {
    const mib = Number(shm);
    if (!Number.isInteger(mib) || mib < 1 || mib > 65536) errors.push(`PODIPC_PODMAN_DEV_SHM_MIB='${shm}' is not a size in MiB between 1 and 65536, e.g. PODIPC_PODMAN_DEV_SHM_MIB=256`);
    else devShmBytes = mib * 1_048_576;
  }
  if (errors.length > 0) return { ok: false, reason: errors.join('; ') };
  return { ok: true, settings: { image, base: base as BaseKind, raiseIpcLimits: raise === '1' || raise.toLowerCase() === 'true', devShmBytes } };
}
