/**
 * The probe's lean paths, checked from the inside (a child process drives the latency
 * probe's phases over channels opened in that one process: test/helpers/lean-check.ts):
 * - synchronous channels (shared memory, POSIX and SysV message queues, semaphores, and the
 *   in-process channel calibration uses) run round trips as a plain loop: nothing allocated
 *   per message (the young generation grows by the phase's fixed costs only), no timer, and
 *   promises only for the event-loop turn it takes every 50 ms;
 * - event-driven channels (tcp, uds, udp, fifo, ws) get their frames by callback: one watchdog
 *   timer per phase, no promise and no timer per message.
 * Counts and bytes, never times: the assertions hold on a loaded machine.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { YIELD_EVERY_MS } from '../bench/probes/latency.js';

const run = promisify(execFile);
const HELPER = new URL('./helpers/lean-check.js', import.meta.url).pathname;
const MEASURE_MS = 500;

interface PhaseCount {
  roundTrips: number;
  bytes: number;
  gcs: number;
}
interface Report {
  kind: string;
  measured: PhaseCount;
  received: number;
  corrupt: number;
  setTimeout: number;
  setInterval: number;
  setImmediate: number;
  promises: number;
}

async function check(kind: string): Promise<Report> {
  const { stdout } = await run(
    process.execPath,
    ['--no-concurrent-recompilation', '--min-semi-space-size=64', '--max-semi-space-size=64', HELPER, kind, String(MEASURE_MS)],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

/** The most event-loop turns a synchronous phase may take: one per YIELD_EVERY_MS, and slack for a slow machine. */
function maxYields(r: Report): number {
  return Math.ceil(MEASURE_MS / YIELD_EVERY_MS) * 4 + 4;
}

for (const kind of ['loopback', 'shm-spin', 'mq-posix', 'mq-sysv', 'sem']) {
  test(`${kind}: the synchronous round-trip loop allocates nothing per message and arms no timer`, { timeout: 150_000 }, async () => {
    const r = await check(kind);
    const m = r.measured;
    assert.ok(m.roundTrips >= 50_000, `${kind}: only ${m.roundTrips} round trips`);
    assert.equal(r.corrupt, 0);
    assert.equal(m.gcs, 0, `${kind}: a scavenge ran during the phase (${m.bytes} B allocated over ${m.roundTrips} round trips)`);
    // The phase's fixed costs (a promise and an immediate per yield) are a few tens of KB;
    // one 16-byte heap number per round trip would be 800 KB and more.
    assert.ok(m.bytes < 128 * 1024, `${kind}: ${m.bytes} B allocated over ${m.roundTrips} round trips (${(m.bytes / m.roundTrips).toFixed(2)} B each)`);
    assert.equal(r.setTimeout, 0, `${kind}: setTimeout called ${r.setTimeout} times`);
    assert.equal(r.setInterval, 0);
    assert.ok(r.setImmediate <= maxYields(r), `${kind}: ${r.setImmediate} event-loop turns for ${m.roundTrips} round trips`);
    assert.ok(r.promises <= 2 * r.setImmediate + 4, `${kind}: ${r.promises} promises for ${m.roundTrips} round trips`);
  });
}

for (const kind of ['tcp', 'uds', 'udp', 'fifo', 'ws']) {
  test(`${kind}: frames arrive by callback, one watchdog per phase, no promise or timer per message`, { timeout: 150_000 }, async () => {
    const r = await check(kind);
    const m = r.measured;
    assert.ok(m.roundTrips >= 2000, `${kind}: only ${m.roundTrips} round trips`);
    assert.equal(r.corrupt, 0);
    assert.equal(r.setTimeout, 1, `${kind}: setTimeout called ${r.setTimeout} times in one phase of ${m.roundTrips} round trips`);
    assert.equal(r.setInterval, 0);
    assert.ok(r.promises <= 4, `${kind}: ${r.promises} promises for ${m.roundTrips} round trips`);
    assert.ok(r.setImmediate <= 4, `${kind}: ${r.setImmediate} setImmediate calls for ${m.roundTrips} round trips`);
  });
}
