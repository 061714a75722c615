/**
 * The container engines podipc drives (podman, docker): how to call them, and how podman
 * is adapted to a host whose limits its defaults do not fit.
 *
 * podman (4.x) asks the OCI runtime for ulimits of nofile=1048576 and a large nproc in
 * every container; where the caller's hard limits are lower (root without
 * CAP_SYS_RESOURCE, a container host), runc refuses to start the container ("error setting
 * rlimits ... operation not permitted"). crun rejects a cgroup v1 host with the unified
 * hierarchy mounted beside it ("cgroups in hybrid mode not supported"). podipc then runs
 * podman with a containers.conf of its own (CONTAINERS_CONF) that keeps the ulimits within
 * the hard limits and picks runc, and says so in one line. The decision is a pure function
 * of the host facts, read once.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { findOnPath } from '../placements/kind/prereq.js';

export const ENGINES = ['podman', 'docker'] as const;
export type EngineId = (typeof ENGINES)[number];

export interface HostLimits {
  /** Hard RLIMIT_NOFILE / RLIMIT_NPROC of this process; undefined when unlimited or unknown. */
  nofileHard: number | undefined;
  nprocHard: number | undefined;
  /** CAP_SYS_RESOURCE in the effective set: then podman may raise limits past the hard ones. */
  capSysResource: boolean;
  /** cgroup v1 with the v2 hierarchy mounted at /sys/fs/cgroup/unified (what crun rejects). */
  cgroupHybrid: boolean;
  /** Whether runc is on PATH (the runtime that works on a hybrid host). */
  runcPath: string | undefined;
}

/** podman's own defaults for containers (containers/common): what a host must allow. */
export const PODMAN_DEFAULT_NOFILE = 1_048_576;
/**
 * podman lowers its own RLIMIT_NPROC to this when it cannot raise it, and a container can
 * get no more than podman has: asking for the host's full hard limit fails.
 */
export const PODMAN_NPROC_CEILING = 32_768;

/** CAP_SYS_RESOURCE is capability 24 (linux/capability.h); CapEff is hex in /proc/self/status. */
const CAP_SYS_RESOURCE = 24n;

export function hasCapability(statusText: string, bit: bigint): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/im.exec(statusText)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> bit) & 1n) === 1n;
}

/** `Max open files  20000  20000  files` -> 20000 (the hard column); unlimited -> undefined. */
export function parseHardLimit(limitsText: string, name: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith(name));
  if (!line) return undefined;
  const fields = line.slice(name.length).trim().split(/\s+/);
  const hard = fields[1];
  return hard === undefined || hard === 'unlimited' ? undefined : Number(hard);
}

const TMPFS_MAGIC = 0x01021994;
const CGROUP2_MAGIC = 0x63677270;

export function readHostLimits(env: NodeJS.ProcessEnv = process.env): HostLimits {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return ''; // not Linux: nothing to adapt
    }
  };
  const limits = read('/proc/self/limits');
  const fsType = (path: string): number | undefined => {
    try {
      return statfsSync(path).type;
    } catch {
      return undefined;
    }
  };
  return {
    nofileHard: parseHardLimit(limits, 'Max open files'),
    nprocHard: parseHardLimit(limits, 'Max processes'),
    capSysResource: hasCapability(read('/proc/self/status'), CAP_SYS_RESOURCE),
    cgroupHybrid: fsType('/sys/fs/cgroup') === TMPFS_MAGIC && fsType('/sys/fs/cgroup/unified') === CGROUP2_MAGIC,
    runcPath: findOnPath('runc', env),
  };
}

export interface PodmanAdaptation {
  /** containers.conf text for CONTAINERS_CONF; undefined when podman's defaults fit. */
  containersConf: string | undefined;
  /** One line for the user: what was adapted and why (or that nothing was). */
  summary: string;
  /** Set when podman cannot run containers here at all, naming the fix. */
  problem?: string;
}

/**
 * What podman needs on this host. `sysctls` (namespaced IPC sysctls, name=value) become
 * `default_sysctls`: podman's kube play ignores a pod's securityContext.sysctls, but
 * applies these to every container it creates with this configuration.
 */
export function podmanAdaptation(host: HostLimits, sysctls: readonly string[] = []): PodmanAdaptation {
  const containers: string[] = [];
  const engine: string[] = [];
  const did: string[] = [];
  const ulimits: string[] = [];
  const below = (hard: number | undefined): boolean => hard !== undefined && hard < PODMAN_DEFAULT_NOFILE;
  // Without CAP_SYS_RESOURCE nothing can exceed the hard limits, and podman's defaults do.
  if (!host.capSysResource && (below(host.nofileHard) || below(host.nprocHard))) {
    const nofile = Math.min(host.nofileHard ?? PODMAN_DEFAULT_NOFILE, PODMAN_DEFAULT_NOFILE);
    const nproc = Math.min(host.nprocHard ?? PODMAN_NPROC_CEILING, PODMAN_NPROC_CEILING);
    ulimits.push(`nofile=${nofile}:${nofile}`, `nproc=${nproc}:${nproc}`);
  }
  if (ulimits.length > 0) {
    containers.push(`default_ulimits = [${ulimits.map((u) => JSON.stringify(u)).join(', ')}]`);
    did.push(`container ulimits ${ulimits.join(' ')} (podman's defaults exceed this process's hard limits, and it lacks CAP_SYS_RESOURCE)`);
  }
  if (sysctls.length > 0) {
    containers.push(`default_sysctls = [${sysctls.map((s) => JSON.stringify(s)).join(', ')}]`);
    did.push(`sysctls ${sysctls.join(' ')}`);
  }
  let problem: string | undefined;
  if (host.cgroupHybrid) {
    if (host.runcPath) {
      engine.push('runtime = "runc"');
      did.push('OCI runtime runc (crun rejects this cgroup v1 hybrid layout)');
    } else {
      problem = 'this host mounts cgroup v1 with the v2 hierarchy beside it, which crun rejects, and runc is not on PATH: install it (apt-get install runc)';
    }
  }
  const sections = [
    ...(containers.length > 0 ? ['[containers]', ...containers] : []),
    ...(engine.length > 0 ? ['[engine]', ...engine] : []),
  ];
  return {
    containersConf: sections.length > 0 ? `# Written by podipc for its own podman commands (CONTAINERS_CONF).\n${sections.join('\n')}\n` : undefined,
    summary: did.length > 0 ? `podman adapted to this host: ${did.join('; ')}` : 'podman runs with its own defaults here',
    ...(problem ? { problem } : {}),
  };
}

export interface Engine {
  id: EngineId;
  /** The CLI's argv prefix, e.g. ['podman']. */
  command: readonly string[];
  /** Environment for every command (CONTAINERS_CONF for podman, DOCKER_HOST as given). */
  env: NodeJS.ProcessEnv;
}

export function engineArgv(engine: Engine, ...args: string[]): string[] {
  return [...engine.command, ...args];
}

/** The engine to use when none is named: podman where it is installed, else docker. */
export function defaultEngine(env: NodeJS.ProcessEnv = process.env): EngineId | undefined {
  if (findOnPath('podman', env)) return 'podman';
  if (findOnPath('docker', env)) return 'docker';
  return undefined;
}
