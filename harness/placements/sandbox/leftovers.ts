/**
 * What of a sandbox run is still on the host: its directory, processes, namespaces, veth
 * links, mounts and cgroups. Teardown verifies itself with this, and the tests assert it is
 * empty. Scoped to one run tag, so parallel runs never count as leftovers of this one.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ownV1Cgroups } from './cgroups.js';
import { runLayout } from './layout.js';
import type { Namespaces } from './pod.js';
import { identify } from './state.js';

function pids(): string[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
}

/**
 * `startedBeforeTicks` (from uptimeTicks(), taken when teardown began): the kernel reuses a
 * freed namespace's inode number, so a process that started after the run's namespaces died
 * may hold a new namespace with an old number; only earlier processes can hold the run's.
 */
export function findLeftovers(runTag: string, namespaces: readonly Namespaces[] = [], startedBeforeTicks = Infinity): string[] {
  const layout = runLayout(runTag);
  const found: string[] = [];
  if (existsSync(layout.root)) found.push(`directory ${layout.root}`);

  // Processes: pause and container command lines carry the run directory or the pod names.
  const marks = [layout.root, layout.pods.a.name, layout.pods.b.name];
  const nsIds = new Set(namespaces.flatMap((n) => [n.net, n.ipc, n.uts, n.mnt]));
  for (const pid of pids()) {
    if (Number(pid) === process.pid) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (marks.some((m) => cmdline.includes(m))) found.push(`process ${pid}: ${cmdline.split('\0').join(' ').slice(0, 120)}`);
    const started = Number(identify(Number(pid))?.startTicks ?? Infinity);
    for (const kind of started <= startedBeforeTicks ? ['net', 'ipc', 'uts', 'mnt'] : []) {
      try {
        const ns = readlinkSync(`/proc/${pid}/ns/${kind}`);
        if (nsIds.has(ns)) found.push(`namespace ${ns} held by process ${pid}`);
      } catch {
        /* gone, or a kernel thread */
      }
    }
  }

  for (const pod of Object.values(layout.pods)) {
    if (existsSync(`/sys/class/net/${pod.vethName}`)) found.push(`veth link ${pod.vethName}`);
  }
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    if (line.includes(layout.root) || line.includes(`podipc-${runTag}`)) found.push(`mount ${line}`);
  }
  for (const dir of Object.values(ownV1Cgroups())) {
    const cg = join(dir, `podipc-${runTag}`);
    if (existsSync(cg)) found.push(`cgroup ${cg}`);
  }
  return found;
}
