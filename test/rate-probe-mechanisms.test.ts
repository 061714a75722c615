/**
 * The rate probe runs for real on every kind of channel, in both runtimes (Node client vs
 * Node server, native vs native): sockets (tcp, uds: event-driven in Node), a message queue
 * (mq-posix) and shared memory with a futex and a spinning wake-up (synchronous in Node).
 * Behaviour only (tests/helpers/rate.ts): the schedule bounds what is sent, every message is
 * verified, response time never below service time, CPU on both sides, nothing left behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPair, type Runtime } from './helpers/native-pair.js';
import { describeIpcObject } from './helpers/ipc.js';
import { assertRateLineSane } from './helpers/rate.js';

const MECHANISMS: Array<{ mechanism: string; variant?: string }> = [
  { mechanism: 'tcp' },
  { mechanism: 'uds' },
  { mechanism: 'mq-posix' },
  { mechanism: 'shm-posix', variant: 'futex' },
  { mechanism: 'shm-posix', variant: 'spin' },
];
const RATE = 2000;
const MEASURE_MS = 100;

for (const runtime of ['node', 'native'] as Runtime[]) {
  for (const { mechanism, variant } of MECHANISMS) {
    const label = `${variant ? `${mechanism}/${variant}` : mechanism} (${runtime} vs ${runtime})`;
    test(`rate probe at ${RATE}/s: ${label}`, { timeout: 60_000 }, async () => {
      const r = await runPair({
        server: runtime,
        client: runtime,
        mechanism,
        variant,
        cases: [{ probe: 'rate', messageBytes: 64, ratePerSec: RATE }],
        budget: { measureMs: MEASURE_MS, warmupMs: 10 },
      });
      assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
      assert.equal(r.lines.length, 1);
      const line = r.lines[0]!;
      assert.equal(line.ratePerSec, RATE, 'the target rate is on the line');
      assertRateLineSane(line, label, { ratePerSec: RATE, measureMs: MEASURE_MS, lossless: true });
      assert.deepEqual(r.leftBehind.map(describeIpcObject), [], 'the probes left IPC objects behind');
    });
  }
}
