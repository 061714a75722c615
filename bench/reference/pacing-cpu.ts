#!/usr/bin/env node
/**
 * `npm run bench:pacing-cpu`: the rate client's pacer alone at 1000 msg/s for 2 s (the sleep
 * and spin of bench/probes/rate.ts sleepUntil, written out so both timings of the spin can be
 * taken): per message, what the process burned (process.cpuUsage), the spin's wall time
 * (what the probe used to take out of the client's CPU), the CPU the spin burned (the
 * thread's CPU clock, what it takes out now) and what is left billed to the client either
 * way. With a busy process on the same CPU the spin is preempted and the two part:
 *   npm run build && (taskset -c 1 node -e 'for(;;){}' & echo $! > /tmp/hog.pid) && taskset -c 1 node dist/bench/reference/pacing-cpu.js; kill $(cat /tmp/hog.pid)
 */
import { nowNs, threadCpuNs } from '../clock.js';
import { SPIN_NS } from '../probes/rate.js';

const RATE = 1000;
const N = 2000;
const cell = new Int32Array(new SharedArrayBuffer(4));
let wallSpinNs = 0;
let cpuSpinNs = 0;
const c0 = process.cpuUsage();
const t0 = nowNs() + 1e6;
for (let i = 0; i < N; i++) {
  const target = t0 + (i * 1e9) / RATE;
  const sleepNs = target - nowNs() - SPIN_NS;
  if (sleepNs > 0) Atomics.wait(cell, 0, 0, sleepNs / 1e6);
  let now = nowNs();
  if (now >= target) continue;
  const wall0 = now;
  const cpu0 = threadCpuNs();
  while (now < target) now = nowNs();
  wallSpinNs += now - wall0;
  cpuSpinNs += threadCpuNs() - cpu0;
}
const c = process.cpuUsage(c0);
const procUs = c.user + c.system;
const perMsg = (us: number): number => Number((us / N).toFixed(1));
console.log(
  JSON.stringify({
    ratePerSec: RATE,
    messages: N,
    perMsgUs: {
      processCpu: perMsg(procUs),
      spinWall: perMsg(wallSpinNs / 1e3),
      spinCpu: perMsg(cpuSpinNs / 1e3),
      clientBilledWallSubtracted: perMsg(procUs - wallSpinNs / 1e3),
      clientBilledCpuSubtracted: perMsg(procUs - cpuSpinNs / 1e3),
    },
  }),
);
