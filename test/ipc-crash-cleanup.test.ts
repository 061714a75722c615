/**
 * Whatever dies, no IPC object survives the harness. Two ways to die mid-case, using the
 * shm mechanisms' sem variants (a segment plus semaphores of each family):
 *  1. SIGKILL of both probes (server and client process groups): the pair runner's ledger
 *     sweep after the pair removes what their close() never did.
 *  2. SIGKILL of the harness itself (and its orphaned probes): the next run's
 *     `sweepStaleProcessRuns` finds the dead owner's run directory and sweeps its ledgers.
 * The objects checked are exactly the ones the run ledgered (read from its ledger while it
 * ran), so other runs on a shared host cannot make this pass or fail; each is seen alive
 * before the kill, so the test fails if the sweep does not do its work.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerEntry } from '../bench/ipc-names.js';
import { describeIpcObject, ipcObjectExists } from './helpers/ipc.js';
import { parseRunArgs } from '../harness/config.js';
import { sweepStaleProcessRuns } from '../harness/placements/process.js';
import { runSuite } from '../harness/runner.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');

/** Run directories of the process placement owned by `pid`. */
function runDirsOf(pid: number): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith('podipc-'))
    .map((n) => join(tmpdir(), n))
    .filter((dir) => {
      try {
        return (JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as { pid: number }).pid === pid;
      } catch {
        return false;
      }
    });
}

function ledgered(runDir: string): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  const pairs = join(runDir, 'pairs');
  for (const pair of existsSync(pairs) ? readdirSync(pairs) : []) {
    try {
      for (const line of readFileSync(join(pairs, pair, 'shared', 'ipc-ledger.jsonl'), 'utf8').split('\n')) {
        if (line.trim()) entries.push(JSON.parse(line) as LedgerEntry);
      }
    } catch {
      /* not written yet, or swept */
    }
  }
  return entries;
}

/** Probe processes (group leaders: the pair runner starts them detached) of a run directory. */
function probePids(runDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('bench/entrypoint.js') && cmd.includes(`${runDir}/pairs/`)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/**
 * Wait until the run (owned by `ownerPid`) has ledgered at least `minObjects` objects that
 * all exist and both probes are up, then let the case measure a little.
 */
async function waitMidCase(ownerPid: number, minObjects: number): Promise<{ runDir: string; objects: LedgerEntry[]; pids: number[] }> {
  for (let i = 0; i < 400; i++) {
    await sleep(25);
    const [runDir] = runDirsOf(ownerPid);
    if (!runDir) continue;
    const objects = ledgered(runDir);
    const pids = probePids(runDir);
    if (objects.length >= minObjects && objects.every(ipcObjectExists) && pids.length === 2) {
      await sleep(300); // mid-measurement
      return { runDir, objects, pids };
    }
  }
  throw new Error(`the run of pid ${ownerPid} never reached a case with ${minObjects} live IPC objects and two probes`);
}

const flags = (mechanism: string): string[] => [
  '--placement', 'process', '--mechanisms', mechanism, '--probes', 'latency', '--sizes', '64',
  '--runs', '1', '--warmup-ms', '0', '--budget-ms', '6000', '--setup-timeout-ms', '2000',
];

// shm-sysv/sem: a SysV segment + a SysV semaphore set; shm-posix/sem: /dev/shm/<name> + two sem.<name>.
const CASES = [
  { mechanism: 'shm-sysv/sem', minObjects: 2 },
  { mechanism: 'shm-posix/sem', minObjects: 3 },
];

for (const { mechanism, minObjects } of CASES) {
  test(`${mechanism}: SIGKILL of server and client mid-case leaves no IPC object (the pair's ledger sweep)`, async () => {
    const config = parseRunArgs(flags(mechanism))!;
    const suite = runSuite(config, { log: () => {}, signal: new AbortController().signal });
    const { objects, pids } = await waitMidCase(process.pid, minObjects);
    for (const pid of pids) killGroup(pid);
    const results = await suite;

    const [c] = results.cases;
    assert.equal(c?.status, 'failed', 'the killed case is failed');
    assert.match(c?.reason ?? '', /killed|SIGKILL|exited/);
    const left = objects.filter(ipcObjectExists).map(describeIpcObject);
    assert.deepEqual(left, [], `left behind: ${left.join(', ')}`);
  });
}

test('shm-posix/sem and shm-sysv/sem: SIGKILL of the harness and its probes mid-case; the next run sweeps everything', async () => {
  const out = await mkdtemp(join(tmpdir(), 'shm-crash-out-'));
  try {
    for (const { mechanism, minObjects } of CASES) {
      const harness = spawn(process.execPath, [CLI, 'run', ...flags(mechanism), '--out', out], { stdio: 'ignore' });
      const { runDir, objects, pids } = await waitMidCase(harness.pid!, minObjects);
      harness.kill('SIGKILL');
      for (const pid of pids) killGroup(pid);
      // The kernel detaches a killed process's mappings, but removes nothing.
      for (let i = 0; i < 100 && probePids(runDir).length > 0; i++) await sleep(20);
      if (harness.exitCode === null && harness.signalCode === null) await new Promise((r) => harness.once('exit', r));
      const stranded = objects.filter(ipcObjectExists);
      assert.deepEqual(stranded.map(describeIpcObject), objects.map(describeIpcObject), 'with everyone SIGKILLed the objects are stranded until a sweep');

      const logged: string[] = [];
      assert.ok((await sweepStaleProcessRuns((l) => logged.push(l))) >= 1, 'the stale run was swept');
      assert.ok(logged.some((l) => l.includes(runDir)), `the sweep names the run directory: ${logged.join(' | ')}`);
      const left = objects.filter(ipcObjectExists).map(describeIpcObject);
      assert.deepEqual(left, [], `left behind after the sweep: ${left.join(', ')}`);
      assert.equal(existsSync(runDir), false, 'the run directory is gone');
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('the sweep removes a run directory left empty by a forced exit (older than its grace), and nothing else', async () => {
  const base = await mkdtemp(join(tmpdir(), 'sweep-empty-test-'));
  try {
    const old = Date.now() / 1000 - 3600;
    const make = async (name: string, opts: { age: 'old' | 'new'; file?: boolean }): Promise<string> => {
      const dir = join(base, name);
      await mkdir(dir);
      if (opts.file) await writeFile(join(dir, 'keep'), 'x');
      if (opts.age === 'old') await utimes(dir, old, old);
      return dir;
    };
    const abandoned = await make('podipc-abcd12', { age: 'old' });
    const starting = await make('podipc-efgh34', { age: 'new' }); // a harness between mkdir and owner.json
    const notARun = await make('podipc-image-x1y2z3', { age: 'old' });
    const notEmpty = await make('podipc-ijkl56', { age: 'old', file: true });
    const logged: string[] = [];
    assert.equal(await sweepStaleProcessRuns((l) => logged.push(l), base), 1);
    assert.equal(existsSync(abandoned), false, 'the abandoned empty run directory is gone');
    for (const kept of [starting, notARun, notEmpty]) assert.equal(existsSync(kept), true, `${kept} must stay`);
    assert.match(logged.join('\n'), /removed the empty directory of an interrupted run: .*podipc-abcd12/);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
