/**
 * Sandbox teardown always happens and leaves nothing: after a container is killed mid-case
 * (that case is `failed`, the suite goes on), after Ctrl-C, after a failed start, and - for a
 * SIGKILLed harness, which cannot clean up - at the next run's start. "Nothing" is checked
 * both by findLeftovers (directories, processes, namespaces, veth links, mounts, cgroups) and
 * by looking at `ip link`, /proc/mounts and the process table directly.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandboxPlacement } from '../harness/placements/sandbox.js';
import { ownV1Cgroups } from '../harness/placements/sandbox/cgroups.js';
import { runLayout } from '../harness/placements/sandbox/layout.js';
import { findLeftovers } from '../harness/placements/sandbox/leftovers.js';
import type { Namespaces } from '../harness/placements/sandbox/pod.js';
import { uptimeTicks } from '../harness/placements/sandbox/state.js';
import { runQuick } from './helpers/suite.js';

const availability = await sandboxPlacement.check();
const skip = availability.ok ? false : `the sandbox cannot run here: ${availability.reason}`;
const CLI = resolve(import.meta.dirname, '../harness/cli.js');

interface PodFacts {
  name: string;
  pausePid: number;
  namespaces: Namespaces;
}

function cmdlines(): { pid: number; cmd: string; exe: string }[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((e) => {
      try {
        return [{ pid: Number(e), cmd: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' '), exe: readlinkSync(`/proc/${e}/exe`) }];
      } catch {
        return [];
      }
    });
}

/** The probe itself (node, PID 1 of its container), not the nsenter/unshare wrapper above it. */
function probeNode(runTag: string, role: 'server' | 'client'): number | undefined {
  return cmdlines().find((p) => p.exe === process.execPath && p.cmd.includes('bench/entrypoint.js') && p.cmd.includes(`/${runTag}/`) && p.cmd.includes(`${role}.plan.json`))?.pid;
}

/** Nothing of the run on the host, by the placement's own audit and by looking directly. */
function assertNothingLeft(runTag: string, namespaces: Namespaces[], endedAtTicks: number): void {
  assert.deepEqual(findLeftovers(runTag, namespaces, endedAtTicks), []);
  assert.doesNotMatch(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }), new RegExp(`pv${runTag}`), 'a veth link is left');
  assert.doesNotMatch(readFileSync('/proc/mounts', 'utf8'), new RegExp(`^podipc-(shm|memory|mqueue|hidden|tmp) |/var/lib/podipc/${runTag}`, 'm'), 'a mount is left');
  assert.deepEqual(cmdlines().filter((p) => p.cmd.includes(`/var/lib/podipc/${runTag}`) || p.cmd.includes(`podipc-${runTag}-`)), [], 'a process is left');
  for (const dir of Object.values(ownV1Cgroups())) assert.equal(existsSync(join(dir, `podipc-${runTag}`)), false, `cgroup left in ${dir}`);
  assert.equal(existsSync(runLayout(runTag).root), false, 'the run directory is left');
}

function runDirs(): string[] {
  try {
    return readdirSync('/var/lib/podipc');
  } catch {
    return [];
  }
}

function tagOf(pods: PodFacts[]): string {
  return pods[0]!.name.split('-')[1]!;
}

test('a container killed mid-case makes that case failed; the suite goes on and nothing is left', { skip, timeout: 5 * 60_000 }, async () => {
  const before = new Set(runDirs());
  const suite = runQuick([
    '--placement', 'sandbox', '--topology', 'same-pod', '--mechanisms', 'tcp', '--sizes', '64', '--probes', 'latency,throughput',
    '--runs', '2', '--warmup-ms', '0', '--budget-ms', '1500', '--setup-timeout-ms', '3000',
  ]).catch((err: Error) => err);
  let killed: number | undefined;
  for (let i = 0; i < 400 && killed === undefined; i++) {
    await sleep(50);
    const runs = runDirs().filter((n) => !before.has(n));
    const pid = runs.length === 1 ? probeNode(runs[0]!, 'server') : undefined;
    if (pid !== undefined) {
      await sleep(500); // into the measured phase of the latency case
      process.kill(pid, 'SIGKILL');
      killed = pid;
    }
  }
  const results = await suite;
  const ended = uptimeTicks();
  assert.ok(!(results instanceof Error), String(results));
  assert.ok(killed, 'never saw the server container to kill');

  const latency = results.cases.find((c) => c.probe === 'latency')!;
  assert.equal(latency.runs[0]?.status, 'failed');
  assert.ok(latency.runs[0]?.reason, 'a failed run must say why');
  assert.equal(latency.runs[1]?.status, 'ok', `run 2 must be unaffected: ${latency.runs[1]?.reason}`);
  const pods = results.env.placements.sandbox?.details?.pods as PodFacts[];
  assertNothingLeft(tagOf(pods), pods.map((p) => p.namespaces), ended);
});

test('SIGINT during a sandbox run: exit 130 and nothing of the run is left', { skip, timeout: 3 * 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-sbx-int-test-'));
  try {
    const child = spawn(process.execPath, [CLI, 'run', '--placement', 'sandbox', '--mechanisms', 'tcp', '--sizes', '64', '--budget-ms', '5000', '--runs', '3', '--out', join(dir, 'out')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let runTag: string | undefined;
    for (let i = 0; i < 400; i++) {
      runTag ??= /pods podipc-([a-z0-9]+)-a/.exec(stderr)?.[1];
      if (runTag && probeNode(runTag, 'client')) break;
      await sleep(50);
    }
    assert.ok(runTag && probeNode(runTag, 'client'), `the run never started a probe: ${stderr}`);
    const pods = [...stderr.matchAll(/pause (\d+)/g)].map((m) => ({ net: readlinkSync(`/proc/${m[1]}/ns/net`), ipc: readlinkSync(`/proc/${m[1]}/ns/ipc`), uts: readlinkSync(`/proc/${m[1]}/ns/uts`), mnt: readlinkSync(`/proc/${m[1]}/ns/mnt`) }));
    await sleep(300);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    const ended = uptimeTicks();
    assert.equal(code, 130, stderr);
    assert.equal(existsSync(join(dir, 'out')), false);
    assertNothingLeft(runTag, pods, ended);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a start that fails (an unavailable --pin CPU) removes what it had made', { skip }, async () => {
  const runTag = `f${randomInt(36 ** 6).toString(36)}`;
  await assert.rejects(
    sandboxPlacement.open({ runTag, sysvSlot: 1, resources: { pin: [4095] }, log: () => {} }),
    /--pin 4095: CPU 4095 is not available here/,
  );
  assertNothingLeft(runTag, [], uptimeTicks());
});

test('a SIGKILLed harness leaves no process; the next start sweeps its directory and cgroups', { skip, timeout: 3 * 60_000 }, async () => {
  const runTag = `k${randomInt(36 ** 6).toString(36)}`;
  const placementModule = resolve(import.meta.dirname, '../harness/placements/sandbox.js');
  const script = `
    const { sandboxPlacement } = await import(${JSON.stringify(placementModule)});
    const s = await sandboxPlacement.open({ runTag: ${JSON.stringify(runTag)}, sysvSlot: 2, resources: { memoryBytes: 64 * 1024 * 1024 }, log: () => {} });
    console.log('OPEN ' + JSON.stringify(s.facts().details.pods));
    setInterval(() => {}, 1000);`;
  const harness = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  harness.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  harness.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  for (let i = 0; i < 600 && !out.includes('\n'); i++) await sleep(50);
  const pods = JSON.parse(/OPEN (.*)/.exec(out)?.[1] ?? 'null') as PodFacts[] | null;
  assert.ok(pods, `the harness did not open a session: ${err}`);
  const namespaces = pods.map((p) => p.namespaces);

  const killedAt = uptimeTicks();
  harness.kill('SIGKILL');
  await once(harness, 'exit');
  // The kernel's parent-death signal takes the pods down with the harness...
  for (let i = 0; i < 100 && pods.some((p) => existsSync(`/proc/${p.pausePid}/ns`)); i++) await sleep(50);
  const left = findLeftovers(runTag, namespaces, killedAt);
  assert.deepEqual(left.filter((l) => l.startsWith('process') || l.startsWith('namespace')), [], 'processes outlived the harness');
  // ...but directories and cgroups need someone to remove them.
  assert.ok(left.some((l) => l.startsWith('directory')), `expected the run directory to remain: ${left.join('; ')}`);
  assert.ok(left.some((l) => l.startsWith('cgroup')), `expected cgroups to remain: ${left.join('; ')}`);

  const logs: string[] = [];
  const next = await sandboxPlacement.open({ runTag: `n${randomInt(36 ** 6).toString(36)}`, sysvSlot: 3, resources: {}, log: (l) => logs.push(l) });
  await next.close();
  assert.ok(logs.some((l) => l.includes(`leftovers of run ${runTag}`)), logs.join('\n'));
  assertNothingLeft(runTag, namespaces, killedAt);
});
