/**
 * Find probe processes started by one harness process: a probe's plan file lies in a run
 * directory whose owner.json names the harness pid. Tests that kill or count probes use
 * this, so probes of anything else running on the machine are never touched.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Every process on the machine started with `--plan FILE` (a probe of either runtime): its pid, argv and plan path. */
export function planProcesses(): Array<{ pid: number; argv: string[]; plan: string }> {
  const found: Array<{ pid: number; argv: string[]; plan: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('--plan');
      if (at >= 0) found.push({ pid: Number(entry), argv, plan: argv[at + 1] ?? '' });
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

export function ownedProbePids(ownerPid: number, role?: 'server' | 'client'): number[] {
  const pids: number[] = [];
  for (const { pid, argv, plan } of planProcesses()) {
    if (!argv.some((a) => a.endsWith('bench/entrypoint.js'))) continue;
    if (role !== undefined && !plan.endsWith(`${role}.plan.json`)) continue;
    try {
      const runDir = /^(.*\/podipc-[^/]+)\//.exec(plan)?.[1];
      const owner = runDir ? (JSON.parse(readFileSync(`${runDir}/owner.json`, 'utf8')) as { pid: number }) : undefined;
      if (owner?.pid === ownerPid) pids.push(pid);
    } catch {
      /* its run directory is gone, or not one of ours */
    }
  }
  return pids;
}

/** Those of `pids` still running (zombies count as gone: they hold nothing). */
export function stillRunning(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
}
