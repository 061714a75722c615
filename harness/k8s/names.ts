/**
 * Names and labels of the Kubernetes objects podipc creates. Pure: one place decides how a
 * pair is called in the cluster, so the renderer, the command plan and the log collector
 * agree without passing strings around.
 */
import type { RuntimeId, Topology } from '../../core/vocabulary.js';

/** The kind cluster podipc creates and talks to; kubectl always gets `--context kind-podipc`. */
export const CLUSTER_NAME = 'podipc';
export const KUBE_CONTEXT = `kind-${CLUSTER_NAME}`;
/** kind names its single node `<cluster>-control-plane`. */
export const NODE_NAME = `${CLUSTER_NAME}-control-plane`;
/** The probe image built from k8s/Dockerfile and loaded into the cluster with `kind load`. */
export const DEFAULT_IMAGE = 'podipc-probe:local';

/** Label keys; values stay within the 63-character label limit (see `labelValue`). */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  run: 'podipc.dev/run',
  pair: 'podipc.dev/pair',
  mechanism: 'podipc.dev/mechanism',
  variant: 'podipc.dev/variant',
  topology: 'podipc.dev/topology',
  runtime: 'podipc.dev/runtime',
  role: 'podipc.dev/role',
} as const;

/** One namespace per run: deleting it removes everything the run created, even after a crash. */
export function namespaceName(runTag: string): string {
  return `podipc-${runTag}`;
}

/** Lowercase DNS-1123 label characters only: `shm-posix/futex` -> `shm-posix-futex`. */
function dnsLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** FNV-1a, 32 bit: a short, stable suffix that keeps truncated names unique. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0').slice(0, 7);
}

/**
 * The pair's id, used as (the stem of) its pod and Service names and as a label value:
 * `<mechanism>[-<variant>]-<sp|xp>[-nat]-r<run>`, e.g. `shm-posix-futex-sp-r0` (Node) or
 * `tcp-xp-nat-r1` (the native probe). Services need a
 * DNS-1035 label (starts with a letter, at most 63 characters), and cross-pod names get a
 * `-server`/`-client` suffix, so the id is kept to 52 characters.
 */
export function pairId(spec: { mechanism: string; variant?: string | undefined; runtime: RuntimeId; topology: Topology; run: number }): string {
  const label = spec.variant ? `${spec.mechanism}-${spec.variant}` : spec.mechanism;
  const topo = (spec.topology === 'same-pod' ? 'sp' : 'xp') + (spec.runtime === 'native' ? '-nat' : '');
  let stem = dnsLabel(label) || 'mechanism';
  if (!/^[a-z]/.test(stem)) stem = `m-${stem}`;
  const tail = `-${topo}-r${spec.run}`;
  const max = 52;
  if (stem.length + tail.length <= max) return stem + tail;
  const hash = shortHash(label);
  return `${stem.slice(0, max - tail.length - hash.length - 1).replace(/-$/, '')}-${hash}${tail}`;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'x';
}
