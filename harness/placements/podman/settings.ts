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
import { imageWithTag, mibBytes } from '../env-settings.js';
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
  const image = imageWithTag(env, 'PODIPC_PODMAN_IMAGE', errors);
  const base = env.PODIPC_PODMAN_BASE || 'offline';
  if (base !== 'offline' && base !== 'official') errors.push(`PODIPC_PODMAN_BASE='${base}' is not offline or official`);
  const raise = env.PODIPC_PODMAN_RAISE_IPC_LIMITS ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(raise.toLowerCase())) errors.push(`PODIPC_PODMAN_RAISE_IPC_LIMITS='${raise}' is not 1 or 0`);
  const devShmBytes = mibBytes(env, 'PODIPC_PODMAN_DEV_SHM_MIB', errors);
  if (errors.length > 0) return { ok: false, reason: errors.join('; ') };
  return { ok: true, settings: { image, base: base as BaseKind, raiseIpcLimits: raise === '1' || raise.toLowerCase() === 'true', devShmBytes } };
}
