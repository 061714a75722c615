/**
 * The probes' clocks.
 *
 * `nowMs` times round trips: monotonic, sub-microsecond (performance.now is libuv's
 * uv_hrtime, CLOCK_MONOTONIC, as a double in ms). It is read once per round trip on the
 * synchronous path (the end of one round trip is the start of the next) and twice on the
 * event-driven one; its cost is part of the measured probe overhead (env.probeOverhead).
 *
 * `coarseNowMs` bounds phases and slices where a millisecond is plenty: Date.now is inlined
 * by the compiler and allocates nothing, so loops may read it as often as they like.
 */
import { performance } from 'node:perf_hooks';

export function nowMs(): number {
  return performance.now();
}

export const coarseNowMs: () => number = Date.now;

/** Let the event loop run once (signals, timers, I/O callbacks): one promise, not one per message. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
