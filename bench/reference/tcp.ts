/** Plain-Node TCP ping-pong over loopback, TCP_NODELAY: the reference for podipc's tcp. */
import { connect, createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pingPongArgs, ready, report, sampleBuffer } from './common.js';

const { role, address, messageBytes, warmupRoundTrips, measureMs } = pingPongArgs();
if (role === 'server') {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.on('data', (data) => socket.write(data));
    socket.on('error', () => {});
    socket.on('close', () => server.close());
  });
  server.listen(0, '127.0.0.1', () => ready(String((server.address() as AddressInfo).port)));
} else {
  const message = Buffer.alloc(messageBytes, 7);
  const samples = sampleBuffer();
  let count = 0, done = 0, got = 0, t0 = 0, stopAt = Infinity;
  const socket = connect({ host: '127.0.0.1', port: Number(address), noDelay: true }, () => {
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
