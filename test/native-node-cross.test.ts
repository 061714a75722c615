/**
 * The two runtimes speak the same wire: a Node client against a native server, and a
 * native client against a Node server, exchange verified frames (frame v2, CRC-32C) over
 * each family's layouts - sockets (tcp, udp chunking, uds, fifo), message queues (mq-posix,
 * mq-sysv chunking, the sem mailbox) and shared memory (the ring with each wake-up) - at
 * 64 B and 1 MiB (which crosses every chunking and ring-wrap path), through both probes.
 * Behaviour only: every case ok, nothing corrupt, nothing lost where reliable, nothing left.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bothProbes, runPair, type Runtime } from './helpers/native-pair.js';
import { describeIpcObject } from './helpers/ipc.js';

const CASES: Array<{ mechanism: string; variant?: string; sizes: number[] }> = [
  // sockets
  { mechanism: 'tcp', sizes: [64, 1048576] },
  { mechanism: 'udp', sizes: [64, 1048576] },
  { mechanism: 'uds', sizes: [64, 1048576] },
  { mechanism: 'fifo', sizes: [64, 1048576] },
  // message queues
  { mechanism: 'mq-posix', sizes: [64, 1048576] },
  { mechanism: 'mq-sysv', sizes: [64, 1048576] },
  { mechanism: 'sem', sizes: [64] },
  // shared memory: both segment kinds, every wake-up
  { mechanism: 'shm-posix', variant: 'futex', sizes: [64, 1048576] },
  { mechanism: 'shm-posix', variant: 'spin', sizes: [64, 1048576] },
  { mechanism: 'shm-sysv', variant: 'sem', sizes: [64, 1048576] },
  { mechanism: 'shm-posix', variant: 'sem', sizes: [64] },
  { mechanism: 'shm-sysv', variant: 'futex', sizes: [64] },
];

const PAIRS: Array<{ server: Runtime; client: Runtime }> = [
  { server: 'native', client: 'node' },
  { server: 'node', client: 'native' },
];

for (const { mechanism, variant, sizes } of CASES) {
  for (const { server, client } of PAIRS) {
    const label = `${variant ? `${mechanism}/${variant}` : mechanism}: ${client} client, ${server} server`;
    test(label, { timeout: 180_000 }, async () => {
      const cases = mechanism === 'sem' ? [{ probe: 'latency' as const, messageBytes: 64 }] : bothProbes(sizes);
      const r = await runPair({ server, client, mechanism, variant, cases });
      assert.equal(r.failure, undefined, `the pair failed: ${r.failure}`);
      assert.equal(r.lines.length, cases.length, 'one result line per case');
      for (const line of r.lines) {
        const what = `${label}, ${line.probe} ${line.messageBytes} B`;
        assert.equal(line.status, 'ok', `${what}: ${line.status}: ${line.reason ?? ''}`);
        const i = line.integrity!;
        assert.equal(i.corrupt, 0, `${what}: ${i.corrupt} corrupt frames`);
        assert.ok(i.received > 0, `${what}: nothing received`);
        if (mechanism !== 'udp' || line.probe === 'latency') assert.equal(i.lost, 0, `${what}: ${i.lost} lost`);
      }
      assert.deepEqual(r.leftBehind.map(describeIpcObject), [], 'the probes left IPC objects behind');
    });
  }
}
