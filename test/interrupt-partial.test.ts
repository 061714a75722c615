/**
 * Ctrl-C after the first pair finished: exit 130, a valid results.json with the cases
 * measured so far marked "interrupted": true, which reads back and re-renders with a
 * banner; nothing of the run survives. A second Ctrl-C exits at once, probes killed.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sweepStaleProcessRuns } from '../harness/placements/process.js';
import { readResultFile } from '../harness/results-file.js';
import { ownedProbePids, stillRunning } from './helpers/probes.js';

const CLI = resolve(import.meta.dirname, '../harness/cli.js');

function runDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('podipc-') && !n.includes('test'));
}

/** Start `podipc run` on two mechanisms (one pair runs both, in turn); stderr is collected. */
function startRun(out: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'run', '--placement', 'process', '--runtime', 'node', '--mechanisms', 'tcp,uds', '--sizes', '64', '--probes', 'latency', '--runs', '2', '--warmup-ms', '0', '--budget-ms', '1500', '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout!.resume();
  return { child, stderr: () => stderr };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !ok(); i++) await sleep(50);
  assert.ok(ok(), `timed out waiting for ${what}`);
}

test('Ctrl-C after the first case: the finished case is written, marked interrupted, and re-renders with a banner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podipc-int-partial-test-'));
  const out = join(dir, 'out');
  const before = new Set(runDirs());
  try {
    const run = startRun(out);
    // Not a TTY: one progress line per mechanism of a pair. uds starting means tcp's case finished.
    await until('the second mechanism to start', () => /^\[2\/4\] uds latency 64 B same-pod, run 1\/2/m.test(run.stderr()));
    await until('the pair\'s probes', () => ownedProbePids(run.child.pid!).length >= 2);
    const probes = ownedProbePids(run.child.pid!);
    run.child.kill('SIGINT');
    const [code] = (await once(run.child, 'exit')) as [number | null];
    assert.equal(code, 130, run.stderr());
    assert.match(run.stderr(), /SIGINT: stopping the case running now/);
    assert.match(run.stderr(), /interrupted: the results hold the cases finished before Ctrl-C, marked "interrupted": true/);

    const results = await readResultFile(join(out, 'results.json'));
    assert.equal(results.interrupted, true);
    assert.deepEqual(results.cases.map((c) => `${c.mechanism} ${c.runs.length} ${c.status}`), ['tcp 1 ok'], 'the finished case only; the one in flight is dropped');
    assert.deepEqual(stillRunning(probes), [], 'probe processes survived the Ctrl-C');
    assert.deepEqual(runDirs().filter((n) => !before.has(n)), [], 'the run left its temp dir');

    const report = spawnSync(process.execPath, [CLI, 'report', out], { encoding: 'utf8' });
    assert.equal(report.status, 0, report.stderr);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /^# .*\n\n> \[!WARNING\]\n> Interrupted \(Ctrl-C\): these are the 1 case measured before the run stopped/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second Ctrl-C exits at once and still kills the probes', async () => {
  // The second Ctrl-C must land while the first one's clean-up is still going, which takes
  // tens of ms: an attempt whose clean-up won the race (it exited 130 before the second
  // signal came) still has to leave nothing running, and a later attempt tries again.
  let forced = 0;
  for (let attempt = 0; attempt < 5 && forced === 0; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'podipc-int-force-test-'));
    const out = join(dir, 'out');
    try {
      const run = startRun(out);
      await until('the probes', () => ownedProbePids(run.child.pid!).length >= 2);
      const probes = ownedProbePids(run.child.pid!);
      const exited = once(run.child, 'exit') as Promise<[number | null]>;
      // The second Ctrl-C the moment the first one is acknowledged (a poll would be too late).
      const second = (): void => {
        if (!/stopping the case running now/.test(run.stderr())) return;
        run.child.stderr!.off('data', second);
        run.child.kill('SIGINT');
      };
      run.child.stderr!.on('data', second);
      run.child.kill('SIGINT');
      const [code] = await exited;
      assert.equal(code, 130, run.stderr());
      assert.deepEqual(stillRunning(probes), [], 'probes survived the Ctrl-C');
      if (/second SIGINT, exiting now/.test(run.stderr())) forced++;
    } finally {
      // A forced exit skips the cleanup; what it left is what the next run sweeps (its owner is dead).
      await sweepStaleProcessRuns(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.ok(forced > 0, 'in 5 attempts the second Ctrl-C never arrived before the clean-up had finished');
});
