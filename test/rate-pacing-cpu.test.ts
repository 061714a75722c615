/**
 * What the rate client bills as CPU per message (bench/probes/rate.ts, top of file): its
 * pacing spin is taken out as the CPU the spin burned, on the thread's CPU clock - not its
 * wall time, which over-subtracts whenever the spin is preempted (and then eats into the
 * mechanism's own cost). Two facts make that so, both about clocks, not speeds:
 * - the thread CPU clock does not run while the thread sleeps (the sleep before each spin is
 *   not billed, and not taken out either);
 * - a spin preempted by a busy process on the same CPU is billed for the share it ran: with
 *   two runnable tasks on one CPU the spin gets about half, far under the 80 % asserted.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { nowNs, threadCpuNs } from '../bench/clock.js';
import { sleepUntil } from '../bench/probes/rate.js';

const RATE_JS = resolve(import.meta.dirname, '../bench/probes/rate.js');
const CLOCK_JS = resolve(import.meta.dirname, '../bench/clock.js');

test('the thread CPU clock stops while the thread sleeps', () => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const wall0 = nowNs();
  const cpu0 = threadCpuNs();
  Atomics.wait(cell, 0, 0, 50);
  const cpuNs = threadCpuNs() - cpu0;
  const wallNs = nowNs() - wall0;
  assert.ok(wallNs >= 49e6, `slept ${wallNs} ns`);
  assert.ok(cpuNs < wallNs / 2, `the CPU clock ran ${cpuNs} ns over a ${wallNs} ns sleep: it is not the thread's CPU time`);
});

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

test('a preempted pacing spin is billed for the CPU it burned, not its wall time', { skip: hasTaskset ? false : 'taskset (util-linux) is not installed: it pins the spin and a busy process to one CPU', timeout: 60_000 }, async () => {
  // A busy process and the spinning one on the same CPU: the scheduler shares it between them.
  const cpu = '0';
  const hog = spawn('taskset', ['-c', cpu, process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    const script = `
      const { sleepUntil } = await import(${JSON.stringify(RATE_JS)});
      const { nowNs } = await import(${JSON.stringify(CLOCK_JS)});
      let wall = 0, billed = 0;
      // Targets 140 µs ahead: inside the spin window, so every call spins the whole way.
      for (let i = 0; i < 2000; i++) {
        const t = nowNs();
        billed += sleepUntil(t + 140000);
        wall += nowNs() - t;
      }
      console.log(JSON.stringify({ wall, billed }));
    `;
    const r = spawnSync('taskset', ['-c', cpu, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 0, r.stderr);
    const { wall, billed } = JSON.parse(r.stdout) as { wall: number; billed: number };
    assert.ok(billed > 0, 'the spin was billed nothing');
    assert.ok(billed < 0.8 * wall, `billed ${(billed / 1e6).toFixed(1)} ms of CPU for ${(wall / 1e6).toFixed(1)} ms of spinning shared with a busy process: the wall time, not the CPU it burned`);
  } finally {
    hog.kill('SIGKILL');
  }
});

test('the pacer never returns before the intended time, even when it is closer than one CPU-clock read', () => {
  // A send before its intended time would make that message's response time shorter than its
  // service time. Targets from 0 to 20 µs ahead cover the stretch where no spin is accounted.
  let early = 0;
  for (let i = 0; i < 4000; i++) {
    const targetNs = nowNs() + (i % 200) * 100;
    sleepUntil(targetNs);
    if (nowNs() < targetNs) early++;
  }
  assert.equal(early, 0, `${early} of 4000 returns came before their target`);
});
