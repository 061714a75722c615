/**
 * A native side that dies or hangs becomes a failed case with its reason and the tail of
 * stderr, never a hang, and leaves nothing: SIGKILL leaves IPC objects only the ledger
 * sweep can remove (and it does, because the native probe ledgers every name before
 * creating it); SIGTERM makes the probe remove its own objects before it exits; a stopped
 * (hung) server fails the case after the silence timeout and is killed by the pair runner.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync } from 'node:fs';
import type { LedgerEntry } from '../bench/ipc-names.js';
import { parseRunArgs } from '../harness/config.js';
import { runSuite } from '../harness/runner.js';
import { describeIpcObject, ipcObjectExists } from './helpers/ipc.js';
import { NATIVE_PROBE, pairProbePids, readLedger, runPair, type PairResult } from './helpers/native-pair.js';
import { stillRunning } from './helpers/probes.js';
import { ownRunDirs } from './helpers/suite.js';

const BUDGET = { warmupMs: 5, warmupRoundTrips: 20, measureMs: 4000, setupTimeoutMs: 1000 };

/** Wait until the server of the pair in `dir` has published and the client measures, then signal it. */
async function signalWhenMeasuring(dir: string, role: 'server' | 'client', signal: NodeJS.Signals, seen: number[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [pid] = pairProbePids(dir, role);
    if (pid !== undefined && existsSync(join(dir, 'shared', 'case-0.ready.json'))) {
      await sleep(400);
      seen.push(...pairProbePids(dir, 'server'), ...pairProbePids(dir, 'client'));
      process.kill(pid, signal);
      return;
    }
    await sleep(25);
  }
  throw new Error(`never saw the ${role} of ${dir} publish`);
}

function assertNothingLeft(r: PairResult, pids: number[]): void {
  assert.deepEqual(r.sweepFailed, []);
  assert.deepEqual(r.ledgered.filter((e) => ipcObjectExists(e)).map(describeIpcObject), [], 'IPC objects survived the sweep');
  assert.deepEqual(stillRunning(pids), [], 'probe processes survived');
}

test('a native server killed (SIGKILL) mid-case gives a failed case with the reason and both stderr tails', { timeout: 60_000 }, async () => {
  const pids: number[] = [];
  const r = await runPair({
    server: 'native', client: 'native', mechanism: 'tcp', cases: [{ probe: 'latency', messageBytes: 64 }], budget: BUDGET,
    whileRunning: (dir) => signalWhenMeasuring(dir, 'server', 'SIGKILL', pids),
  });
  const [line] = r.lines;
  assert.equal(line?.status, 'failed', `expected the client's failed line; pair: ${r.failure}`);
  assert.match(line?.reason ?? '', /tcp client: peer closed the connection/);
  assert.match(r.failure ?? '', /the server was killed by SIGKILL/);
  assert.match(r.failure ?? '', /client stderr: probe client: case 0 \(latency 64 B\): tcp client: peer closed the connection/);
  assertNothingLeft(r, pids);
});

for (const [mechanism, variant] of [['shm-posix', 'futex'], ['shm-sysv', 'sem'], ['mq-sysv', undefined], ['mq-posix', undefined]] as const) {
  const label = variant ? `${mechanism}/${variant}` : mechanism;
  test(`${label}: a SIGKILLed native server leaves its IPC objects to the ledger sweep, which removes them`, { timeout: 60_000 }, async () => {
    const pids: number[] = [];
    const r = await runPair({
      server: 'native', client: 'native', mechanism, variant, cases: [{ probe: 'latency', messageBytes: 64 }], budget: BUDGET,
      whileRunning: (dir) => signalWhenMeasuring(dir, 'server', 'SIGKILL', pids),
    });
    // The pair runner stops the client soon after the server died: the case has no ok line,
    // and the pair's failure (what the runner makes the case's reason) says what happened.
    assert.notEqual(r.lines[0]?.status, 'ok');
    assert.match(r.failure ?? '', /the server was killed by SIGKILL/);
    // Nothing could clean up after SIGKILL: the objects were there until the sweep...
    assert.ok(r.leftBehind.length > 0, 'expected the killed server to leave objects for the sweep');
    // ...which removed every one of them.
    assertNothingLeft(r, pids);
  });
}

for (const [mechanism, variant] of [['shm-posix', 'sem'], ['shm-sysv', 'futex'], ['mq-posix', undefined], ['mq-sysv', undefined], ['sem', undefined]] as const) {
  const label = variant ? `${mechanism}/${variant}` : mechanism;
  test(`${label}: a native server stopped by SIGTERM removes its own IPC objects before exiting`, { timeout: 60_000 }, async () => {
    const pids: number[] = [];
    let ledger: ReturnType<typeof readLedger> = [];
    const r = await runPair({
      server: 'native', client: 'native', mechanism, variant, cases: [{ probe: 'latency', messageBytes: 64 }], budget: BUDGET,
      whileRunning: async (dir) => {
        await signalWhenMeasuring(dir, 'server', 'SIGTERM', pids);
        ledger = readLedger(join(dir, 'shared'));
      },
    });
    assert.notEqual(r.lines[0]?.status, 'ok');
    assert.match(r.failure ?? '', /the server exited with code 143/);
    assert.match(r.failure ?? '', /server stderr: probe: SIGTERM, removing this side's IPC objects/);
    assert.ok(ledger.length > 0, 'the server ledgered its objects');
    // Checked before the sweep: the probe removed them itself.
    assert.deepEqual(r.leftBehind.map(describeIpcObject), [], 'the SIGTERMed server left IPC objects for the sweep');
    assertNothingLeft(r, pids);
  });
}

test('a hung native server (SIGSTOP) fails the case after the silence timeout; the pair runner kills it', { timeout: 60_000 }, async () => {
  const pids: number[] = [];
  const started = Date.now();
  const r = await runPair({
    server: 'native', client: 'native', mechanism: 'mq-sysv', cases: [{ probe: 'latency', messageBytes: 64 }], budget: BUDGET,
    whileRunning: (dir) => signalWhenMeasuring(dir, 'server', 'SIGSTOP', pids),
  });
  assert.equal(r.lines[0]?.status, 'failed');
  assert.match(r.lines[0]?.reason ?? '', /no answer from the server within 1000 ms \(stopped or hung\?\)/);
  assert.match(r.failure ?? '', /the server did not exit .* after the client and was killed/);
  assert.ok(Date.now() - started < BUDGET.measureMs + 8000, 'the pair ended well before its deadline');
  assertNothingLeft(r, pids);
});

test('a native client killed mid-case: the native server stops on its own (silence or EOF) instead of hanging', { timeout: 60_000 }, async () => {
  const pids: number[] = [];
  for (const mechanism of ['uds', 'shm-posix']) {
    const r = await runPair({
      server: 'native', client: 'native', mechanism, variant: mechanism === 'shm-posix' ? 'spin' : undefined,
      cases: [{ probe: 'throughput', messageBytes: 4096 }], budget: BUDGET,
      whileRunning: (dir) => signalWhenMeasuring(dir, 'client', 'SIGKILL', pids),
    });
    assert.equal(r.lines.length, 0, 'a killed client prints no line for its case');
    assert.match(r.failure ?? '', /the client was killed by SIGKILL/);
    assert.doesNotMatch(r.failure ?? '', /server did not exit/, `${mechanism}: the server hung: ${r.failure}`);
    assert.match(r.failure ?? '', /server stderr: probe server: case 0/);
    assertNothingLeft(r, pids);
  }
});

/** Native server probes started by this test process's `podipc run` (plan under its run dir). */
function ownNativeServers(): Array<{ pid: number; pairDir: string }> {
  const runDirs = ownRunDirs().map((d) => join(tmpdir(), d));
  const found: Array<{ pid: number; pairDir: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const plan = argv[argv.indexOf('--plan') + 1] ?? '';
      if (argv[0] === NATIVE_PROBE && plan.endsWith('/server.plan.json') && runDirs.some((d) => plan.startsWith(`${d}/`))) {
        found.push({ pid: Number(entry), pairDir: plan.slice(0, -'/server.plan.json'.length) });
      }
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

test('podipc run --runtime native: a killed native server fails its case with the stderr tails; the run goes on and nothing leaks', { timeout: 120_000 }, async () => {
  const config = parseRunArgs([
    '--placement', 'process', '--runtime', 'native', '--mechanisms', 'shm-posix/futex', '--sizes', '64', '--probes', 'latency',
    // A generous silence bound: run 1 fails from the pair runner seeing its server die, not
    // from a timeout, and run 2 must not fail because a loaded 2-core machine paused a side.
    '--runs', '2', '--warmup-ms', '0', '--budget-ms', '3000', '--setup-timeout-ms', '5000',
  ])!;
  const suite = runSuite(config, { log: () => {}, signal: new AbortController().signal });
  let ledgered: LedgerEntry[] = [];
  const seen: number[] = [];
  for (let i = 0; i < 400 && ledgered.length === 0; i++) {
    await sleep(25);
    const [server] = ownNativeServers();
    if (server && existsSync(join(server.pairDir, 'shared', 'case-0.ready.json'))) {
      await sleep(300);
      ledgered = readLedger(join(server.pairDir, 'shared'));
      seen.push(...ownNativeServers().map((s) => s.pid));
      process.kill(server.pid, 'SIGKILL');
    }
  }
  assert.ok(ledgered.length > 0, 'never saw a native server publish and ledger its objects');
  const results = await suite;
  const [c] = results.cases;
  assert.equal(c?.runtime, 'native');
  assert.equal(c?.status, 'failed');
  const [first, second] = c!.runs;
  assert.equal(first?.status, 'failed');
  assert.match(first?.reason ?? '', /the server was killed by SIGKILL/);
  assert.match(first?.reason ?? '', /server stderr: .*\| client stderr: /);
  assert.equal(second?.status, 'ok', `run 2 should be unaffected: ${second?.reason}`);
  assert.match(c?.reason ?? '', /1 of 2 runs failed/);
  assert.deepEqual(ledgered.filter((e) => ipcObjectExists(e)).map(describeIpcObject), [], 'the killed server\'s IPC objects survived the run');
  assert.deepEqual(stillRunning(seen), [], 'probe processes survived');
  assert.deepEqual(ownRunDirs(), [], 'the run left its directory behind');
});
