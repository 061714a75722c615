/**
 * Per-container cgroups (v1), as kubelet sets them: a CPU limit is a CFS quota per period,
 * pinning is a cpuset, a memory limit is memory.limit_in_bytes. The run's cgroups nest
 * under the harness's own cgroup in each hierarchy, so whatever limits the harness itself
 * runs under still apply to its containers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Controller = 'cpu' | 'cpuset' | 'memory';
const CONTROLLERS: readonly Controller[] = ['cpu', 'cpuset', 'memory'];

/** The CFS period kubelet uses (100 ms) and its smallest quota (1 ms): pkg/kubelet/cm/helpers_linux.go. */
export const CFS_PERIOD_US = 100_000;
export const MIN_CFS_QUOTA_US = 1_000;

/** kubelet's milliCPUToQuota: cores -> µs of CPU per period, at least 1 ms. */
export function cfsQuotaUs(cpuLimitCores: number, periodUs = CFS_PERIOD_US): number {
  const milliCpu = Math.round(cpuLimitCores * 1000);
  return Math.max(MIN_CFS_QUOTA_US, Math.round((milliCpu * periodUs) / 1000));
}

/** "0-2,5" -> [0, 1, 2, 5]. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [from, to] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = from; c <= (to ?? from); c++) cpus.push(c);
  }
  return cpus;
}

/**
 * This process's own cgroup directory in each v1 hierarchy that carries a controller we
 * use, from /proc/self/mountinfo (where each hierarchy is mounted, and which part of it)
 * and /proc/self/cgroup (where in it we are).
 */
export function ownV1Cgroups(): Partial<Record<Controller, string>> {
  const found: Partial<Record<Controller, string>> = {};
  let mountinfo: string;
  let membership: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return found;
  }
  const ownPath = new Map<string, string>();
  for (const line of membership.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers && path !== undefined) for (const c of controllers.split(',')) ownPath.set(c, path);
  }
  for (const line of mountinfo.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <opts> ... - <fstype> <source> <super opts>"
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fstype, , superOpts] = right.split(' ');
    if (fstype !== 'cgroup' || !superOpts) continue;
    const fields = left.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (!root || !mountPoint) continue;
    for (const controller of CONTROLLERS) {
      if (!superOpts.split(',').includes(controller) || found[controller]) continue;
      const path = ownPath.get(controller);
      if (path === undefined || !path.startsWith(root)) continue;
      const dir = join(mountPoint, path.slice(root === '/' ? 0 : root.length));
      if (existsSync(join(dir, 'cgroup.procs'))) found[controller] = dir;
    }
  }
  return found;
}

export interface ContainerLimits {
  cpuLimit?: number | undefined;
  /** The CPU this container is pinned to. */
  cpu?: number | undefined;
  memoryBytes?: number | undefined;
}

/** What the kernel reports back after the limits were written: the facts for results.json. */
export interface ContainerCgroupFacts {
  cgroups: string[];
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  cpus?: string;
  mems?: string;
  memoryLimitBytes?: number;
}

async function put(dir: string, file: string, value: string | number): Promise<void> {
  try {
    await writeFile(join(dir, file), String(value));
  } catch (err) {
    throw new Error(`cannot set ${file}=${value} in ${dir}: ${(err as Error).message}`);
  }
}

async function get(dir: string, file: string): Promise<string> {
  return (await readFile(join(dir, file), 'utf8')).trim();
}

/** The cgroups of one run: <own>/podipc-<tag>/<pod>/<container> in each hierarchy. */
export class RunCgroups {
  /** Every directory created, in creation order (teardown removes them in reverse). */
  readonly created: string[] = [];

  private constructor(
    private readonly runTag: string,
    private readonly own: Partial<Record<Controller, string>>,
  ) {}

  /**
   * Fails, naming the fix, when limits were asked for but the hierarchy that applies them is
   * not there (e.g. a cgroup v2 only host).
   */
  static open(runTag: string, wanted: { cpuLimit?: number | undefined; pin?: readonly number[] | undefined; memoryBytes?: number | undefined }): RunCgroups {
    const own = ownV1Cgroups();
    const need: [Controller, boolean, string][] = [
      ['cpu', wanted.cpuLimit !== undefined, '--cpu-limit'],
      ['cpuset', wanted.pin !== undefined, '--pin'],
      ['memory', wanted.memoryBytes !== undefined, '--memory'],
    ];
    for (const [controller, asked, flag] of need) {
      if (asked && !own[controller]) {
        throw new Error(
          `${flag} needs the cgroup v1 '${controller}' controller, which is not mounted here (the sandbox applies limits through cgroup v1 at /sys/fs/cgroup/${controller}). ` +
            `Run without ${flag}, or on a host with cgroup v1 (systemd.unified_cgroup_hierarchy=0).`,
        );
      }
    }
    if (wanted.pin && own.cpuset) {
      const available = parseCpuList(readFileSync(join(own.cpuset, 'cpuset.cpus'), 'utf8'));
      const bad = wanted.pin.filter((c) => !available.includes(c));
      if (bad.length) {
        throw new Error(`--pin ${wanted.pin.join(',')}: CPU ${bad.join(', ')} is not available here (this cgroup may use CPUs ${available.join(',')}). Pick from those.`);
      }
    }
    return new RunCgroups(runTag, own);
  }

  get available(): Controller[] {
    return CONTROLLERS.filter((c) => this.own[c]);
  }

  private async ensure(controller: Controller, parts: string[]): Promise<string> {
    let dir = this.own[controller]!;
    for (const part of parts) {
      const parent = dir;
      dir = join(dir, part);
      if (existsSync(dir)) continue;
      await mkdir(dir);
      this.created.push(dir);
      if (controller === 'cpuset') {
        // A v1 cpuset starts empty, and a task cannot join a cgroup with no CPUs or memory
        // nodes (ENOSPC): inherit the parent's until the container's own pin is written.
        await put(dir, 'cpuset.cpus', await get(parent, 'cpuset.cpus'));
        await put(dir, 'cpuset.mems', await get(parent, 'cpuset.mems'));
      }
    }
    return dir;
  }

  /**
   * Create a container's cgroups and write its limits. Returns the cgroup.procs files the
   * container's first process must write its pid to, and the limits read back.
   */
  async container(pod: string, container: string, limits: ContainerLimits): Promise<{ procsFiles: string[]; facts: ContainerCgroupFacts }> {
    const facts: ContainerCgroupFacts = { cgroups: [] };
    const procsFiles: string[] = [];
    for (const controller of this.available) {
      const dir = await this.ensure(controller, [`podipc-${this.runTag}`, pod, container]);
      facts.cgroups.push(dir);
      procsFiles.push(join(dir, 'cgroup.procs'));
      if (controller === 'cpu') {
        if (limits.cpuLimit !== undefined) {
          await put(dir, 'cpu.cfs_period_us', CFS_PERIOD_US);
          await put(dir, 'cpu.cfs_quota_us', cfsQuotaUs(limits.cpuLimit));
        }
        const quota = Number(await get(dir, 'cpu.cfs_quota_us'));
        if (quota > 0) {
          // -1 means no limit; otherwise the container may run quota µs per period.
          facts.cpuQuotaUs = quota;
          facts.cpuPeriodUs = Number(await get(dir, 'cpu.cfs_period_us'));
        }
      } else if (controller === 'cpuset') {
        if (limits.cpu !== undefined) await put(dir, 'cpuset.cpus', limits.cpu);
        facts.cpus = await get(dir, 'cpuset.cpus');
        facts.mems = await get(dir, 'cpuset.mems');
      } else {
        if (limits.memoryBytes !== undefined) await put(dir, 'memory.limit_in_bytes', limits.memoryBytes);
        const limit = Number(await get(dir, 'memory.limit_in_bytes'));
        // An unlimited v1 memory cgroup reports PAGE_COUNTER_MAX pages in bytes (~9.2e18).
        if (limits.memoryBytes !== undefined) facts.memoryLimitBytes = limit;
      }
    }
    return { procsFiles, facts };
  }
}
