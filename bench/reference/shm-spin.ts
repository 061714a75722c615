/**
 * Plain-Node shared-memory ping-pong: two processes spin with Atomics.load/store on words
 * of a POSIX shm segment (shm-typed-array), 64 bytes copied each way - the reference for
 * podipc's shm-posix/spin and shm-sysv/spin.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pingPongArgs, ready, report, sampleBuffer } from './common.js';

const shm = createRequire(import.meta.url)('shm-typed-array') as typeof import('shm-typed-array');
const { role, address, messageBytes, warmupRoundTrips, measureMs } = pingPongArgs();
// Words 0 (client's turn counter) and 16 (server's echo of it) on separate cache lines, then the two messages.
const name = role === 'server' ? `/podipc-reference-${process.pid}` : address;
const bytes = role === 'server' ? shm.create(128 + 2 * messageBytes, 'Uint8Array', name, '600') : shm.get(name, 'Uint8Array');
if (!bytes) throw new Error(`shm ${name}: cannot create or open it`);
const words = new Int32Array(bytes.buffer, bytes.byteOffset, 32);
const toServer = bytes.subarray(128, 128 + messageBytes);
const toClient = bytes.subarray(128 + messageBytes, 128 + 2 * messageBytes);
const message = new Uint8Array(messageBytes).fill(7);
if (role === 'server') {
  ready(name);
  for (let last = 0; ; ) {
    let turn: number;
    while ((turn = Atomics.load(words, 0)) === last);
    if (turn < 0) break; // the client is done
    message.set(toServer);
    toClient.set(message);
    Atomics.store(words, 16, (last = turn));
  }
  shm.detach(name, true);
} else {
  const samples = sampleBuffer();
  let count = 0, stopAt = Infinity;
  for (let turn = 1; ; turn++) {
    const t0 = performance.now();
    toServer.set(message);
    Atomics.store(words, 0, turn);
    while (Atomics.load(words, 16) !== turn);
    message.set(toClient);
    const t1 = performance.now();
    if (turn === warmupRoundTrips) stopAt = t1 + measureMs;
    else if (turn > warmupRoundTrips) samples[count++] = t1 - t0;
    if (t1 >= stopAt) break;
  }
  Atomics.store(words, 0, -1);
  shm.detach(name, false);
  report(samples, count);
}
