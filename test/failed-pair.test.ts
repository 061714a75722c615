/**
 * A side that dies or hangs turns its cases into `failed` cases with the reason and the
 * tail of its stderr; the suite goes on, and nothing of the pair survives.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRunArgs } from '../harness/config.js';
import { runSuite } from '../harness/runner.js';
import { ownedProbePids, stillRunning } from './helpers/probes.js';

/** Every probe pid this test has seen, checked for survivors at the end. */
const seen = new Set<number>();

function probePids(role: 'server' | 'client'): number[] {
  const pids = ownedProbePids(process.pid, role);
  for (const pid of [...pids, ...ownedProbePids(process.pid)]) seen.add(pid);
  return pids;
}

/** Has this server probe published its first case at the rendezvous? */
function serverPublished(pid: number): boolean {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const plan = argv[argv.indexOf('--plan') + 1] ?? '';
  return existsSync(join(dirname(plan), 'shared', 'case-0.ready.json'));
}

/** Wait (up to 10 s) for this test's server probe to be `ready`, then `act` on it; its pid, or undefined. */
async function onServer(ready: (pid: number) => boolean, act: (pid: number) => Promise<void>): Promise<number | undefined> {
  for (let i = 0; i < 200; i++) {
    await sleep(50);
    const [pid] = probePids('server');
    if (pid !== undefined && ready(pid)) {
      await act(pid);
      return pid;
    }
  }
  return undefined;
}

function runDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('podipc-'));
}

test('a server killed mid-case makes that case failed with the reason; the suite goes on and nothing is left', async () => {
  const before = new Set(runDirs());
  const config = parseRunArgs([
    '--placement', 'process', '--mechanisms', 'tcp', '--sizes', '64', '--probes', 'latency,throughput',
    '--runs', '2', '--budget-ms', '1500', '--warmup-ms', '0', '--setup-timeout-ms', '2000',
  ])!;
  const suite = runSuite(config, { log: () => {}, signal: new AbortController().signal });
  // Kill the first server as soon as it is measuring; the second run must be unaffected.
  const killed = await onServer(() => true, async (pid) => {
    await sleep(400);
    process.kill(pid, 'SIGKILL');
  });
  assert.ok(killed, 'never saw a server process to kill');
  const results = await suite;

  const latency = results.cases.find((c) => c.probe === 'latency')!;
  assert.equal(latency.status, 'failed');
  const [first, second] = latency.runs;
  assert.equal(first?.status, 'failed');
  // The reason says what happened to the pair, not just that the client lost its peer:
  // every failure carries "server stderr:", so match the exit the harness saw.
  assert.match(first?.reason ?? '', /the server was killed by SIGKILL/);
  assert.equal(second?.status, 'ok', `run 2 should be unaffected: ${second?.reason}`);
  assert.match(latency.reason ?? '', /1 of 2 runs failed/);
  // Throughput of run 1 could not start (its server is gone): failed, not hung.
  const throughput = results.cases.find((c) => c.probe === 'throughput')!;
  assert.equal(throughput.runs[0]?.status, 'failed');
  assert.match(throughput.runs[0]?.reason ?? '', /the server was killed by SIGKILL/);
  assert.equal(throughput.runs[1]?.status, 'ok');

  assert.deepEqual(stillRunning([...seen]), [], 'probe processes survived');
  assert.deepEqual(runDirs().filter((d) => !before.has(d)), [], 'the run left its temp dir behind');
});

test('a server that hangs (SIGSTOP) fails its case after the silence timeout and is killed', async () => {
  const config = parseRunArgs([
    '--placement', 'process', '--mechanisms', 'tcp', '--sizes', '64', '--probes', 'latency',
    '--runs', '1', '--budget-ms', '3000', '--warmup-ms', '0', '--setup-timeout-ms', '500',
  ])!;
  const suite = runSuite(config, { log: () => {}, signal: new AbortController().signal });
  // Stop it only once it is serving (it published the case), so the hang is mid-case.
  const stoppedPid = await onServer(serverPublished, async (pid) => {
    await sleep(200);
    process.kill(pid, 'SIGSTOP');
  });
  assert.ok(stoppedPid);
  const results = await suite;
  const c = results.cases[0]!;
  assert.equal(c.status, 'failed');
  assert.match(c.runs[0]?.reason ?? '', /no answer from the server within 500 ms/);
  assert.deepEqual(stillRunning([...seen]), [], 'probe processes survived');
  // Nothing stopped may linger either (a stopped process ignores SIGTERM, so SIGKILL must follow).
  const stopped = execFileSync('ps', ['-eo', 'pid=,stat=']).toString().split('\n').filter((l) => /^\s*\d+\s+T/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
  assert.ok(!stopped.includes(stoppedPid!), 'the stopped server survived');
});

test('one pair runs every mechanism of a run; a server killed in one mechanism fails its cases and the rest run in a fresh pair', async () => {
  const config = parseRunArgs([
    '--placement', 'process', '--runtime', 'node', '--mechanisms', 'tcp,uds,fifo', '--sizes', '64', '--probes', 'latency,throughput',
    '--runs', '2', '--budget-ms', '1500', '--warmup-ms', '0', '--setup-timeout-ms', '2000',
  ])!;
  const pairStarts: string[] = [];
  const suite = runSuite(config, { log: () => {}, signal: new AbortController().signal, progress: (p) => void (p.pairStart && pairStarts.push(p.label)) });
  // Run 1 starts with tcp (run 2 with uds: the mechanisms take turns leading). Kill the server while tcp measures.
  const killed = await onServer(() => true, async (pid) => {
    await sleep(400);
    process.kill(pid, 'SIGKILL');
  });
  assert.ok(killed, 'never saw a server process to kill');
  const results = await suite;
  const run = (mechanism: string, probe: string, i: number) => results.cases.find((c) => c.mechanism === mechanism && c.probe === probe)!.runs[i]!;
  // tcp's cases of run 1 failed with the pair's story...
  for (const probe of ['latency', 'throughput']) {
    assert.equal(run('tcp', probe, 0).status, 'failed', `tcp ${probe} run 1`);
    assert.match(run('tcp', probe, 0).reason ?? '', /the server was killed by SIGKILL/);
  }
  // ...while uds and fifo, which that pair never reached, ran in a fresh pair and succeeded, as did all of run 2.
  for (const mechanism of ['uds', 'fifo']) {
    for (const probe of ['latency', 'throughput']) assert.equal(run(mechanism, probe, 0).status, 'ok', `${mechanism} ${probe} run 1: ${run(mechanism, probe, 0).reason}`);
  }
  for (const c of results.cases) assert.equal(c.runs[1]?.status, 'ok', `${c.mechanism} ${c.probe} run 2: ${c.runs[1]?.reason}`);
  // Three pairs in all: run 1's, its fresh pair for uds and fifo, and one for the whole of run 2 (led by uds).
  assert.deepEqual(pairStarts.map((l) => l.replace(/ .*run (\d)\/2$/, ' run $1')), ['tcp run 1', 'uds run 1', 'uds run 2']);
  assert.deepEqual(stillRunning([...seen]), [], 'probe processes survived');
});
