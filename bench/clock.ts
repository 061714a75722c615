/**
 * The probes' clock: monotonic, nanoseconds, and free of allocation.
 *
 * performance.now() and Date.now() each return a freshly allocated heap number on Node 20
 * (measured with v8.getHeapStatistics: 16 bytes per call, also in optimised code), which in
 * the latency loop would be one allocation per round trip. So the probes read
 * CLOCK_MONOTONIC through the addon (bench/native/clock.cc): `tick()` writes the time into a
 * Float64Array slot and returns nothing; reading the slot allocates nothing either. Where
 * the addon is not built, performance.now() (the same CLOCK_MONOTONIC, via libuv) stands in,
 * allocation and all.
 *
 * The synchronous latency loop reads the clock once per round trip (the end of one round
 * trip is the start of the next), the event-driven one twice; either way its cost is inside
 * the measured probe overhead (env.probeOverhead).
 */
import { performance } from 'node:perf_hooks';
import { native, nativeAvailable } from './native/index.js';

/** An addon clock writing into `slot` on each tick, or undefined when the addon (or that clock) is not built. */
function addonTick(init: 'clockInit' | 'threadCpuClockInit', slot: Float64Array): (() => void) | undefined {
  if (!nativeAvailable()) return undefined;
  const addon = native();
  return typeof addon[init] === 'function' ? addon[init](slot) : undefined;
}

const slot = new Float64Array(1);
const tick = addonTick('clockInit', slot);

/** Where the time comes from, for reports and benchmarks. */
export const CLOCK_SOURCE = tick ? 'CLOCK_MONOTONIC via the addon (no allocation)' : 'performance.now() (the addon is not built)';

/** Monotonic time in ns (an integer for 104 days of uptime). */
export const nowNs: () => number = tick
  ? () => {
      tick();
      return slot[0]!;
    }
  : () => performance.now() * 1e6;

const cpuSlot = new Float64Array(1);
const cpuTick = addonTick('threadCpuClockInit', cpuSlot);

/**
 * CPU time of this thread in ns (CLOCK_THREAD_CPUTIME_ID through the addon): it stops while
 * the thread is preempted or asleep. Without the addon, the process's CPU time
 * (process.cpuUsage, µs; other threads included) stands in: it too stops during preemption.
 */
export const threadCpuNs: () => number = cpuTick
  ? () => {
      cpuTick();
      return cpuSlot[0]!;
    }
  : () => {
      const u = process.cpuUsage();
      return (u.user + u.system) * 1e3;
    };

/** Let the event loop run once (signals, timers, I/O callbacks): one promise, not one per message. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
