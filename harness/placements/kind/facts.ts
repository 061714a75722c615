/**
 * What the run records about the cluster in results.json `env`: the Kubernetes version,
 * the node (kernel, runtime, capacity), the kubelet's CPU manager policy and allowed
 * sysctls, the kind version and the probe image. Pure: parses what the facts commands
 * printed; a fact that could not be read is simply absent.
 */
import type { CaptureKey } from './steps.js';

type Captures = Partial<Record<CaptureKey, string>>;

function json(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function get(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

export interface ClusterFacts {
  k8sVersion?: string;
  node?: Record<string, unknown>;
  cpuManagerPolicy?: string;
  allowedUnsafeSysctls?: string[];
  kindVersion?: string;
  imageId?: string;
}

export function clusterFacts(c: Captures): ClusterFacts {
  const facts: ClusterFacts = {};
  const version = str(get(json(c['k8s-version']), 'serverVersion', 'gitVersion'));
  if (version) facts.k8sVersion = version;

  const nodes = get(json(c.nodes), 'items');
  const node = Array.isArray(nodes) ? (nodes[0] as unknown) : undefined;
  if (node) {
    const info = get(node, 'status', 'nodeInfo');
    facts.node = Object.fromEntries(
      Object.entries({
        name: str(get(node, 'metadata', 'name')),
        kubeletVersion: str(get(info, 'kubeletVersion')),
        kernelVersion: str(get(info, 'kernelVersion')),
        osImage: str(get(info, 'osImage')),
        containerRuntimeVersion: str(get(info, 'containerRuntimeVersion')),
        architecture: str(get(info, 'architecture')),
        cpuCapacity: str(get(node, 'status', 'capacity', 'cpu')),
        memoryCapacity: str(get(node, 'status', 'capacity', 'memory')),
        nodeCount: Array.isArray(nodes) ? nodes.length : undefined,
      }).filter(([, v]) => v !== undefined),
    );
  }

  const kubelet = get(json(c['kubelet-config']), 'kubeletconfig');
  // The kubelet leaves the default policy out of configz; absent means "none".
  if (kubelet) facts.cpuManagerPolicy = str(get(kubelet, 'cpuManagerPolicy')) ?? 'none';
  const sysctls = get(kubelet, 'allowedUnsafeSysctls');
  if (Array.isArray(sysctls)) facts.allowedUnsafeSysctls = sysctls.filter((s): s is string => typeof s === 'string');

  const kind = c['kind-version']?.trim();
  if (kind) facts.kindVersion = kind;
  const image = c['image-id']?.trim();
  if (image) facts.imageId = image;
  return facts;
}
