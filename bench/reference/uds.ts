/** Plain-Node Unix-domain stream socket ping-pong: the reference for podipc's uds. */
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pingPongArgs, ready, report, sampleBuffer } from './common.js';

const { role, address, messageBytes, warmupRoundTrips, measureMs } = pingPongArgs();
if (role === 'server') {
  const path = join(tmpdir(), `podipc-reference-${process.pid}.sock`);
  const server = createServer((socket) => {
    socket.on('data', (data) => socket.write(data));
    socket.on('error', () => {});
    socket.on('close', () => server.close());
  });
  server.listen(path, () => ready(path)); // libuv unlinks the path when the server closes
} else {
  const message = Buffer.alloc(messageBytes, 7);
  const samples = sampleBuffer();
  let count = 0, done = 0, got = 0, t0 = 0, stopAt = Infinity;
  const socket = connect({ path: address }, () => {
    t0 = performance.now();
    socket.write(message);
  });
  socket.on('data', (data) => {
    got += data.length;
    if (got < messageBytes) return;
    got = 0;
    const t1 = performance.now();
    if (++done === warmupRoundTrips) stopAt = t1 + measureMs;
    else if (done > warmupRoundTrips) samples[count++] = t1 - t0;
    if (t1 >= stopAt) return void socket.end(() => report(samples, count));
    t0 = performance.now();
    socket.write(message);
  });
}
