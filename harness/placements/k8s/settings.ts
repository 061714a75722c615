/**
 * k8s-specific knobs beyond --context/--node-a/--node-b, as environment variables read and
 * validated once:
 *
 *   PODIPC_K8S_IMAGE=REF              the probe image, where the cluster's nodes can pull it
 *                                     (default podipc-probe:local: `podipc image build`, then
 *                                     push it to a registry the cluster reads, or load it into
 *                                     the nodes yourself)
 *   PODIPC_K8S_PULL_POLICY=P          IfNotPresent (default), Always or Never
 *   PODIPC_K8S_RAISE_IPC_LIMITS=1     raise the IPC sysctls in pods of IPC mechanisms (the
 *                                     kubelet must allow them; checked before the run)
 */
import { DEFAULT_IMAGE } from '../../k8s/names.js';

export interface K8sSettings {
  image: string;
  pullPolicy: 'IfNotPresent' | 'Always' | 'Never';
  raiseIpcLimits: boolean;
}

export type K8sSettingsResult = { ok: true; settings: K8sSettings } | { ok: false; reason: string };

export function k8sSettings(env: NodeJS.ProcessEnv): K8sSettingsResult {
  const errors: string[] = [];
  const image = env.PODIPC_K8S_IMAGE || DEFAULT_IMAGE;
  if (!/^[a-z0-9]+(?:[._/:-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/.test(image)) {
    errors.push(`PODIPC_K8S_IMAGE='${image}' is not an image reference with a tag or digest, e.g. registry.example.com/podipc-probe:0.1.0`);
  }
  const pullPolicy = env.PODIPC_K8S_PULL_POLICY || 'IfNotPresent';
  if (!['IfNotPresent', 'Always', 'Never'].includes(pullPolicy)) errors.push(`PODIPC_K8S_PULL_POLICY='${pullPolicy}' is not IfNotPresent, Always or Never`);
  const raise = env.PODIPC_K8S_RAISE_IPC_LIMITS ?? '';
  if (!['', '0', '1'].includes(raise)) errors.push(`PODIPC_K8S_RAISE_IPC_LIMITS='${raise}' is not 1 or 0`);
  if (errors.length > 0) return { ok: false, reason: errors.join('; ') };
  return { ok: true, settings: { image, pullPolicy: pullPolicy as K8sSettings['pullPolicy'], raiseIpcLimits: raise === '1' } };
}
