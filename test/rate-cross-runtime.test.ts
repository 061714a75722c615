/**
 * The rate probe across runtimes: a Node client against a native server (and the reverse)
 * on a socket and on shared memory, so both probes' rate cases speak one wire (the echo of
 * frame v2) and the native server's echo serves a Node schedule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPair, type Runtime } from './helpers/native-pair.js';
import { describeIpcObject } from './helpers/ipc.js';
import { assertRateLineSane } from './helpers/rate.js';

const RATE = 2000;
const MEASURE_MS = 100;
const CASES: Array<{ mechanism: string; variant?: string; server: Runtime; client: Runtime }> = [
  { mechanism: 'tcp', server: 'native', client: 'node' },
  { mechanism: 'shm-posix', variant: 'futex', server: 'native', client: 'node' },
  { mechanism: 'tcp', server: 'node', client: 'native' },
];

for (const { mechanism, variant, server, client } of CASES) {
  const label = `${variant ? `${mechanism}/${variant}` : mechanism}: ${client} client, ${server} server`;
  test(`rate probe across runtimes: ${label}`, { timeout: 60_000 }, async () => {
    const r = await runPair({
      server,
      client,
      mechanism,
      variant,
      cases: [{ probe: 'rate', messageBytes: 64, ratePerSec: RATE }],
      budget: { measureMs: MEASURE_MS, warmupMs: 10 },
    });
    assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
    assertRateLineSane(r.lines[0]!, label, { ratePerSec: RATE, measureMs: MEASURE_MS, lossless: true });
    assert.deepEqual(r.leftBehind.map(describeIpcObject), [], 'the probes left IPC objects behind');
  });
}
