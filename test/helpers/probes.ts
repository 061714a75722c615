/**
 * Find probe processes started by one harness process: a probe's plan file lies in a run
 * directory whose owner.json names the harness pid. Tests that kill or count probes use
 * this, so probes of anything else running on the machine are never touched.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function ownedProbePids(ownerPid: number, role?: 'server' | 'client'): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const plan = argv[argv.indexOf('--plan') + 1] ?? '';
      if (!argv.some((a) => a.endsWith('bench/entrypoint.js'))) continue;
      if (role !== undefined && !plan.endsWith(`${role}.plan.json`)) continue;
      const runDir = /^(.*\/podipc-[^/]+)\//.exec(plan)?.[1];
      const owner = runDir ? (JSON.parse(readFileSync(`${runDir}/owner.json`, 'utf8')) as { pid: number }) : undefined;
      if (owner?.pid === ownerPid) pids.push(Number(entry));
    } catch {
      /* exited meanwhile, or not one of ours */
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
